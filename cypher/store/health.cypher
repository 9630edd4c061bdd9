// Health probe: the cheapest statement that proves the graph engine answers.
RETURN 1 AS ok
