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
# The headline findings of this run under the four questions of the report — what overdue is
# and how it moves, its causes, its impacts, and the remedies — gathered from the numbers each
# page recorded, with each question's key figures. Each finding links to the page that computed
# it. Which page answers which question is declared once, in `overdue/pipeline/plan.py`.

# %% tags=["parameters"]
data_dir: str = "data/processed"  # processed tables from `overdue build`
sample_frac: float = 1.0  # share of loans analysed; the smoke config uses 0.05
seed: int = 2024  # seed of the sample draw (and of any bootstrap)
output_dir: str = "reports/interactive"  # run folder for figures, tables, numbers (the runner sets it)

# %%
from IPython.display import Image, Markdown, display

from overdue.pipeline.pages import question_markdown
from overdue.pipeline.plan import findings_by_question
from overdue.report import RunOutput, collected_numbers

out = RunOutput(output_dir, "06_summary")
numbers = collected_numbers(output_dir)
sections = findings_by_question(numbers)
out.record("findings", sum(len(findings) for _, findings in sections))
if not numbers:
    display(Markdown("No page has recorded findings yet: run the report with `overdue run`."))

# %%
for number, (question, findings) in enumerate(sections, 1):
    display(Markdown(question_markdown(number, question, findings, numbers)))
    for name in question.key_figures if question else []:
        if out.path("figures", f"{name}.png").is_file():
            display(Image(filename=str(out.path("figures", f"{name}.png"))))
