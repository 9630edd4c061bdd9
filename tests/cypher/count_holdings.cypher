// How many holdings (accounts, subscriptions, bills, contacts, opportunities) the graph has, whatever
// their links: a doubled node would show here.
MATCH (h)
WHERE h:Account OR h:Subscription OR h:Bill OR h:Contact OR h:Opportunity
RETURN count(h) AS holdings
