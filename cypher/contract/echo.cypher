// Contract probe: hands a parameter straight back, to prove values survive the trip to the store.
RETURN $value AS value
