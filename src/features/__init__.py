"""overdue.features"""
