"""One module per network behind :class:`sociable.publish.connectors.base.Connector`."""
