"""The user errors the CLI reports as ``{"error": {...}}`` with exit code 2 (README.md lists the codes)."""

CODES = (
    "unknown_task",
    "task_load_failed",
    "endpoint_unreachable",
    "no_logprobs",
    "bad_request",
    "shards_incomplete",
)


class UserError(Exception):
    """Something the user can fix: a task name, a data file, the server, the request."""

    def __init__(self, code, message, task=None, **details):
        assert code in CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.task = task
        self.details = details

    def to_json(self):
        error = {"code": self.code, "message": self.message}
        if self.task is not None:
            error["task"] = self.task
        error.update(self.details)
        return {"error": error}

    @classmethod
    def from_json(cls, error):
        details = {k: v for k, v in error.items() if k not in ("code", "message", "task")}
        return cls(error["code"], error["message"], error.get("task"), **details)


def first_line(error):
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
