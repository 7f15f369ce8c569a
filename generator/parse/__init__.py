"""Parse: one SourceFile (a page's path and bytes) -> one ParsedPage and its diagnostics; knows nothing of other pages."""
