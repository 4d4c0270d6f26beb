"""``python -m judgeflow_lmeval describe|shard|merge --request FILE [...]`` (README.md: the contract).

stdout carries exactly one JSON object (the answer, or ``{"error": {...}}``); everything else — lm-eval's
logs, tqdm bars, warnings — goes to stderr (fd 1 is pointed at stderr while a command runs).
Exit codes: 0 done, 2 a user error (README.md lists the codes), 1 anything else.
"""

import argparse
import json
import logging
import os
import sys
import traceback

import judgeflow_lmeval  # noqa: F401  (environment defaults before lm_eval is imported)
from judgeflow_lmeval.errors import UserError, first_line


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m judgeflow_lmeval")
    commands = parser.add_subparsers(dest="command", required=True)
    describe = commands.add_parser("describe", help="the tasks' docs, metrics and configs")
    describe.add_argument("--request", required=True)
    shard = commands.add_parser("shard", help="run the request's shards, one .pkl each")
    shard.add_argument("--request", required=True)
    shard.add_argument("--out", required=True, help="folder for <shard id>.pkl")
    merge = commands.add_parser("merge", help="lm-eval's results from the shard files")
    merge.add_argument("--request", required=True)
    merge.add_argument("--shards", required=True, help="folder with the .pkl files")
    merge.add_argument("--out", required=True, help="folder for results.json and samples_<task>.jsonl")
    return parser.parse_args(argv)


def run(args):
    from judgeflow_lmeval.request import read_request

    request = read_request(args.request)
    if args.command == "describe":
        from judgeflow_lmeval.tasks import describe

        return describe(request)
    if args.command == "shard":
        from judgeflow_lmeval.shard import run_shards

        return run_shards(request, args.out)
    from judgeflow_lmeval.merge import merge

    return merge(request, args.shards, args.out)


def main(argv=None):
    args = parse_args(argv)
    # lm-eval, datasets and tqdm print to stdout in places: the answer goes through a private copy of it
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
    try:
        output, code = run(args), 0
    except UserError as error:
        output, code = error.to_json(), 2
    except Exception as error:  # noqa: BLE001 — reported as JSON, the traceback on stderr
        traceback.print_exc()
        output = {"error": {"code": "internal_error", "message": f"{type(error).__name__}: {first_line(error)}"}}
        code = 1
    answer.write(json.dumps(output, ensure_ascii=False, allow_nan=False) + "\n")
    answer.flush()
    return code


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # Skip interpreter teardown: lm-eval's API model leaves aiohttp/threads behind that can hang exit.
    os._exit(code)
