"""The read side: scheduled fetches through the connectors' read methods, cursors and
dated snapshots (metrics now; messages, profiles and competitors' posts build on it)."""
