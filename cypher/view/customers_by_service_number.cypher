// The customer owning a service number (mobile, fixed line, broadband account).
MATCH (x:Subscription {service_no: $service_no})<-[:OWNS]-(c:Customer)
WHERE c.status = 'active'
RETURN DISTINCT c.id AS id
ORDER BY id
