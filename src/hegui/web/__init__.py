"""hegui's one web application: the REST API (``/api``), and later the dashboard and the gateway.

:func:`hegui.web.app.create_app` builds it; ``hegui serve`` runs it under uvicorn.
"""
