"""todo: a small command-line todo list kept in a JSON file."""
