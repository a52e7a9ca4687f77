"""The build step: raw inputs through the data layer, then the feature layer, to the processed tables.

It sits above both layers because it chains them: :mod:`overdue.build.tables` loads and validates
the raw inputs (or simulates loans, :mod:`overdue.synthetic`), derives features and panel in
memory and writes the four tables; :mod:`overdue.build.partitioned` does the same for a folder of
loan partitions in bounded memory, on pandas or Dask.
"""
