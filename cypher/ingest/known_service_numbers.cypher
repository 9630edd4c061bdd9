// Which of the given service numbers belong to a subscription of any source.
MATCH (x:Subscription)
WHERE x.service_no IN $numbers
RETURN DISTINCT x.service_no AS service_no
