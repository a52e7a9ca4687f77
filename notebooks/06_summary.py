# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Summary: why loans went overdue
#
# The headline findings of this run, gathered from the numbers each notebook recorded, and the
# key figures. Each finding links back to the page that computed it.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
from IPython.display import Image, Markdown, display

from overdue.report import RunOutput, collected_numbers

out = RunOutput(output_dir, "06_summary")
numbers = collected_numbers(output_dir)
findings = [f"- **{notebook}**: {line}" for notebook, recorded in numbers.items() for line in recorded.get("headline", [])]
display(Markdown("\n".join(findings) or "No notebook has recorded findings yet: run the report with `overdue run`."))
out.record("findings", len(findings))

# %% [markdown]
# ## Key figures

# %%
for name in ["02_descriptive_survival_curves", "03_logit_forest_full", "05_causes_shapley"]:
    if out.path("figures", f"{name}.png").is_file():
        display(Markdown(f"**{name}**"), Image(filename=str(out.path("figures", f"{name}.png"))))
