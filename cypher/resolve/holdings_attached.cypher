// The customers whose holdings app/services/resolve.attach_holdings has just moved after them, marked
// so: a batch run leaves the holdings of a marked customer none of whose records moves where they are.
// $ids: customer ids.
// view: unchanged (a bookkeeping mark the view never shows)
UNWIND $ids AS id
MATCH (x:Customer {id: id})
SET x.holdings_attached = $now
RETURN count(x) AS attached
