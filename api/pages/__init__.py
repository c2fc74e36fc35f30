"""Server-rendered pages (Jinja2), French and English, plotly.js served by the app."""
