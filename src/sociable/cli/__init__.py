"""The ``sociable`` command line: thin commands that parse, call a domain function, render."""
