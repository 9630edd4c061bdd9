// How many active golden customers there are (progress bars of exports).
MATCH (c:Customer {status: 'active'})
RETURN count(c) AS n
