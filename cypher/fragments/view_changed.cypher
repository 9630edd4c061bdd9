// The one way a statement says a customer's view changed: `view_changed(c)` in a SET clause becomes
// this, with `customer` replaced by the statement's variable (app/store/queries.py expands it).
// A new version in the same statement as the change means a kept answer (app/services/kept_answers.py)
// is never served after it. Statements that write without changing any view say so in a header line
// `// view: unchanged (why)`; tests/unit/test_view_changes.py holds every write file to one or the other.
customer.version = customer.version + 1
