// Which of the given service numbers belong to a subscription of any source (index lookups).
UNWIND $numbers AS number
MATCH (x:Subscription {service_no: number})
RETURN DISTINCT x.service_no AS service_no
