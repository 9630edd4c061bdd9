// The demo traffic's staff (demo/traffic.py): every employee with their role, network and core flag.
MATCH (e:Employee)
RETURN e.id AS id, e.role AS role, e.local_network AS network, coalesce(e.core, false) AS core
ORDER BY id
