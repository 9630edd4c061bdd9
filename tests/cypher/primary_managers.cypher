// Each active customer's primary account manager (role A): customer id and employee record id.
MATCH (c:Customer {status: 'active'})-[:MANAGED_BY {role: 'A'}]->(e:Employee)
RETURN c.id AS customer, e.id AS employee
ORDER BY customer
