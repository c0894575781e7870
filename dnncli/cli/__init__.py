"""The `dnn` command: a thin shell that parses, calls the library and renders results."""
