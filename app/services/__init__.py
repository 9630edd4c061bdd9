"""Services: the I/O side of each domain operation (read the graph, call pure logic, write back)."""
