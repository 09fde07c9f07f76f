"""Schemathesis hooks of scripts/schemathesis.

One rule of SKP spans two fields, which JSON Schema cannot state: a cycle's `plan_due` falls
in its `year` (or the year before). Generated openings keep their date and take the year of
the cycle, so that the stateful phase opens cycles (and, through the document's links,
appraisals in them) often enough to reach the commands on an appraisal. Bodies whose year or
date is malformed (negative cases) are left as generated.
"""

import re

import schemathesis


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is None or operation.method.upper() != "POST" or operation.path != "/v1/cycles":
        return body
    if not isinstance(body, dict):
        return body
    year, plan_due = body.get("year"), body.get("plan_due")
    if isinstance(year, int) and not isinstance(year, bool) and 2000 <= year <= 2100 and isinstance(plan_due, str):
        date = re.fullmatch(r"[0-9]{4}(-[0-9]{2}-[0-9]{2})", plan_due)
        if date:
            body = dict(body, plan_due=f"{year:04d}{date.group(1)}")
    return body
