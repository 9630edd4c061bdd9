// An employee's role, to name the channel an opportunity dispatched to them goes to. No row when unknown.
MATCH (e:Employee {id: $employee})
RETURN e.id AS id, e.role AS role
