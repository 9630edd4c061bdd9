// The ids of every case, in one list: the clocks' recompute reads them once and then each page by id
// (service/cases_by_ids), where a keyset page made FalkorDB sort the rest of the cases for every page.
MATCH (x:Case)
RETURN collect(x.id) AS ids
