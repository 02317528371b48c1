"""What people do with Lianxin, one module per use case: record a call, mark a problem,
import and export tables, explain a reminder, watch the runs, report a run, repair the clock.

Services may import everything below them (foundation, parsing, store, rules, ingest, notify);
nothing below imports a service, and services never import the dashboard, cli or flows.
"""
