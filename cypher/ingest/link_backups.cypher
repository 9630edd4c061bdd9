// Link each employee of a source to its backup (B role) once the whole file is in,
// since a backup may appear later in the file than the employee it covers.
// view: unchanged (links between employees, which no customer view shows)
MATCH (e:Employee {source: $source})
WHERE e.backup_record IS NOT NULL
MATCH (b:Employee {id: e.backup_record})
MERGE (e)-[:BACKED_UP_BY]->(b)
RETURN count(b) AS linked
