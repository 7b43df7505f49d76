"""The engine: terms, folding, matching, draft analysis, limits, policy and rendering.

Plain typed Python: nothing here imports Flask or SQLAlchemy, touches a request or a database.
"""
