"""The parts of ``kpi.load`` (bytes -> validated frame + ValidationReport), one job per module.

Import what you need from ``kpi.load``, the one entry point; these modules are its pieces.
"""
