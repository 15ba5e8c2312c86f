"""Short links, the redirect server, clicks, conversions and attribution."""
