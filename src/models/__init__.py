"""overdue.models"""
