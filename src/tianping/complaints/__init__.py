"""Complaints, reports and work orders (投诉举报 / 接诉即办): intake, triage, deadlines, ODR, KPIs."""
