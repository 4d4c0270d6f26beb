"""Builds mt_bench_correctness.jsonl and mt_bench_correctness.yaml (an agreement set) from MT-Bench.

Questions and reference answers: the `turns[0]` and `reference[0]` fields of MT-Bench's question.jsonl
(lm-sys/FastChat, Apache-2.0; a copy with its README and LICENSE is /work/shared/data/mt_bench, see
README.md here). The answers graded and the labels are original, written for judgeflow. Run:
    python3 data/labelled/build_mt_bench_correctness.py /path/to/mt_bench/question.jsonl
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (question_id, kind, answer, label, borderline, note). kind: reference | paraphrase | wrong_number |
# wrong_fact | off_topic | partial. Labels are for `correctness` against the MT-Bench reference.
ROWS = [
    (101, "paraphrase", "You are now in second place, and the person you just overtook is in third place.", "yes", False, "Matches the reference."),
    (101, "wrong_fact", "You are in first place now, and the person you overtook is in second.", "no", False, "Classic wrong answer: passing the second runner makes you second."),
    (102, "paraphrase", "The White House is in Washington, D.C. (1600 Pennsylvania Avenue); the houses in the riddle are a distraction.", "yes", False, "Matches the reference."),
    (102, "wrong_fact", "The White House is the one behind you, since the red, green and pink houses are on your left, right and in front.", "no", False, "Contradicts the reference (Washington, DC)."),
    (103, "paraphrase", "He probably works at the hospital, for example as a doctor or nurse, so he has to be there every day for his job.", "yes", False, "Matches the reference."),
    (103, "wrong_fact", "Thomas must have a chronic illness that needs treatment at the hospital every day.", "no", False, "Contradicts 'very healthy' and the reference."),
    (103, "partial", "He might be visiting a sick relative who is staying in the hospital.", "no", True, "A plausible reason, but not the reference's; graders may differ."),
    (104, "paraphrase", "None. David is himself the one brother that each of his three sisters has.", "yes", False, "Matches the reference."),
    (104, "wrong_number", "David has three brothers, one for each of his sisters.", "no", False, "Wrong number."),
    (105, "reference", "The secretary is Alice.", "yes", False, "The reference itself."),
    (105, "wrong_fact", "The secretary is Enid, because Enid drives the green car.", "no", False, "Wrong name."),
    (106, "paraphrase", "True: bananas cost more than oranges, and oranges cost more than apples, so bananas cost more than apples.", "yes", False, "Matches the reference."),
    (106, "wrong_fact", "Uncertain: the first two statements do not let us compare bananas with apples.", "no", False, "Contradicts the reference (true)."),
    (107, "paraphrase", "A is C's grandfather.", "yes", False, "Matches the reference."),
    (107, "wrong_fact", "A is C's uncle.", "no", False, "Wrong relationship."),
    (108, "paraphrase", "\"Car\" is the odd one out: a tyre, a steering wheel and an engine are all parts of a car.", "yes", False, "Matches the reference."),
    (108, "wrong_fact", "\"Engine\" does not belong, because it is the only one that is not round.", "no", False, "Wrong word."),
    (109, "paraphrase", "The shadow points west: after sunrise the sun is in the east, so shadows fall towards the west.", "yes", False, "Matches the reference."),
    (109, "wrong_fact", "The shadow was pointing east.", "no", False, "Wrong direction."),
    (110, "paraphrase", "They should report situation (c): the four girls who surrounded another girl and took her backpack.", "yes", False, "Matches the reference."),
    (110, "wrong_fact", "Situation (a): a girl sitting alone with a book may be a victim, so the aides should report her.", "no", False, "Wrong option."),
    (111, "paraphrase", "The area of the triangle is 3 square units.", "yes", False, "Matches the reference."),
    (111, "wrong_number", "The area of the triangle is 6.", "no", False, "Wrong number (forgot to halve)."),
    (111, "off_topic", "Triangles have three sides, and their interior angles always add up to 180 degrees.", "no", False, "Off topic: no area given."),
    (112, "paraphrase", "They invested $12,000 in total: $8,000 in the first year and $4,000 in the second.", "yes", False, "Matches the reference."),
    (112, "wrong_number", "They invested $16,000 in total over the two years.", "no", False, "Wrong number."),
    (113, "paraphrase", "The probability is 0.19: 58% + 45% - 22% = 81% like at least one colour, so 19% like neither.", "yes", False, "Matches the reference."),
    (113, "wrong_number", "The probability that the student likes neither colour is 22%.", "no", False, "Wrong number."),
    (113, "partial", "About a fifth of the students like neither colour.", "no", True, "Close to 19% but not the figure; graders may differ."),
    (114, "paraphrase", "35/36: only a total of 2 (double ones) is below 3, so 35 of the 36 outcomes count.", "yes", False, "Matches the reference."),
    (114, "wrong_number", "The probability is 33/36, which is 11/12.", "no", False, "Wrong number."),
    (114, "partial", "Roughly 97%.", "yes", True, "Right value rounded, no exact fraction; graders may differ."),
    (115, "paraphrase", "38 people got on the bus at the terminal.", "yes", False, "Matches the reference."),
    (115, "wrong_number", "50 people got on the bus at the terminal.", "no", False, "Wrong number."),
    (116, "paraphrase", "x - y = 0, because (x - y)^2 = (x + y)^2 - 4xy = 16z^2 - 16z^2 = 0.", "yes", False, "Matches the reference."),
    (116, "wrong_number", "x - y = 2z.", "no", False, "Wrong expression."),
    (117, "paraphrase", "There are 19 integers, from -14 to 4.", "yes", False, "Matches the reference."),
    (117, "wrong_number", "There are 20 integers in the solution.", "no", False, "Wrong number."),
    (118, "paraphrase", "The remainder is 0: the number is 10k + 4, twice it is 20k + 8, which is divisible by 4.", "yes", False, "Matches the reference."),
    (118, "wrong_number", "The remainder is 2.", "no", False, "Wrong number."),
    (119, "paraphrase", "The total cost was $280 (100 + 90 + 90).", "yes", False, "Matches the reference."),
    (119, "wrong_number", "The total cost of his purchases was $245.", "no", False, "Wrong number."),
    (119, "off_topic", "Bookstores often run loyalty programmes that give regular customers a discount.", "no", False, "Off topic."),
    (120, "paraphrase", "f(2) = 4*8 - 9*2 - 14 = 32 - 18 - 14 = 0.", "yes", False, "Matches the reference."),
    (120, "wrong_number", "f(2) = 4.", "no", False, "Wrong number."),
    (134, "paraphrase", "Company V, with CEO Lisa Brown, had the highest profit in 2021: $25 billion.", "yes", False, "Matches the reference."),
    (134, "wrong_fact", "Company W, managed by CEO James Smith, had the highest profit, since its revenue was $300 billion.", "no", False, "Confuses revenue with profit."),
    (136, "reference", "Amazon, 7\nriver, 6\nyou, 2", "yes", False, "The reference itself."),
    (136, "wrong_number", "river, 6\nAmazon, 3\nyou, 2", "no", False, "Wrong count for Amazon."),
    (142, "paraphrase", "Both grow: the orbital radius increases and the period of revolution increases.", "yes", False, "Matches the reference."),
    (142, "wrong_fact", "The satellite falls to a lower orbit, so its radius decreases and its period gets shorter.", "no", False, "Contradicts the reference."),
    (142, "partial", "The orbital radius will increase.", "no", True, "Leaves out the period the question asks about."),
    (144, "paraphrase", "Genetic information flows from DNA to RNA to protein, through replication, transcription and translation; Francis Crick named it in 1958.", "yes", False, "Matches the reference."),
    (144, "wrong_fact", "Information flows from DNA to RNA to protein (replication, transcription, translation); James Watson named it in 1953.", "no", False, "Wrong person and year."),
    (144, "partial", "DNA makes RNA, which makes protein, via replication, transcription and translation. Francis Crick coined the term.", "yes", True, "Leaves out the year; graders may differ."),
    (145, "paraphrase", "CaCO3(s) + 2 HCl(aq) -> CaCl2(aq) + CO2(g) + H2O(l); a double displacement (acid-carbonate) reaction.", "yes", False, "Matches the reference equation."),
    (145, "wrong_fact", "CaCO3 + HCl -> CaCl2 + CO2 + H2O", "no", False, "Not balanced (needs 2 HCl)."),
]


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/mt_bench/question.jsonl")
    questions = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        questions[record["question_id"]] = record
    seen: dict[int, int] = {}
    rows = []
    for qid, kind, answer, label, borderline, note in ROWS:
        question = questions[qid]
        seen[qid] = seen.get(qid, 0) + 1
        rows.append(
            {
                "id": f"mtb-{qid}-{seen[qid]}",
                "question_id": qid,
                "category": question["category"],
                "question": question["turns"][0],
                "reference": question["reference"][0],
                "answer": answer,
                "kind": kind,
                "label": label,
                "borderline": borderline,
                "note": note,
            }
        )
    with open(HERE / "mt_bench_correctness.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    # The same rows as an agreement set, so `judgeflow agreement data/labelled/mt_bench_correctness.yaml`
    # runs on it; JSON strings are valid YAML scalars, so every text is written with json.dumps.
    lines = [
        "# Agreement set for correctness, built from MT-Bench questions and their reference answers",
        "# (lm-sys/FastChat, Apache-2.0); answers and labels are original. Generated from",
        "# mt_bench_correctness.jsonl by build_mt_bench_correctness.py; see mt_bench_correctness.md.",
        "metric: correctness",
        "scorer: { type: correctness }",
        "label_of: value",
        "cases:",
    ]
    for row in rows:
        lines += [
            f"  - id: {row['id']}",
            f"    inputs: {{ question: {json.dumps(row['question'], ensure_ascii=False)} }}",
            f"    outputs: {json.dumps(row['answer'], ensure_ascii=False)}",
            f"    expectations: {{ expected_response: {json.dumps(row['reference'], ensure_ascii=False)} }}",
            f"    label: \"{row['label']}\"",
            f"    borderline: {'true' if row['borderline'] else 'false'}",
            f"    note: {json.dumps(row['kind'] + ': ' + row['note'], ensure_ascii=False)}",
        ]
    (HERE / "mt_bench_correctness.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} rows")


if __name__ == "__main__":
    main()
