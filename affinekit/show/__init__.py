"""Pictures and apps: face pictures, charts, the widget, the live board, looking inside the networks.
The only wing that draws (everything below it returns numbers and arrays)."""
