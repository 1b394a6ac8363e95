"""Exports: the format registry (:mod:`~dashboard.exports.formats`), writing an export
(:mod:`~dashboard.exports.write`), the period's rows in chunks (:mod:`~dashboard.exports.rows`) and
one module per file format. Kept light: importing the package loads no writer."""

from dashboard.exports.formats import FORMATS, ExportFormat, ExportJob, Surface, offered

__all__ = ["FORMATS", "ExportFormat", "ExportJob", "Surface", "offered"]
