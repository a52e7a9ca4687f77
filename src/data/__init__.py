"""overdue.data"""
