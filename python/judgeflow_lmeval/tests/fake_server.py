"""A small vLLM-shaped server for the CLI tests: what lm-eval's local-completions calls, nothing more.

Tokens are characters (id = code point; "<s>" = 1, "</s>" = 2). ``mode`` makes it a server that cannot
score prompts: "no_tokenizer" (no /tokenizer_info, like OpenAI's API) or "no_echo" (prompt logprobs
not returned). The real server's happy path is tested against judgeflow serve-judge
(test/integration/serve-judge-completions.test.ts); this one stands in for servers judgeflow does not
run, and keeps these tests free of a model.
"""

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPECIAL = {"<s>": 1, "</s>": 2}


def encode(text):
    if text in SPECIAL:
        return [SPECIAL[text]]
    return [ord(c) for c in text]


def decode(tokens):
    names = {v: k for k, v in SPECIAL.items()}
    return "".join(names.get(t, chr(t)) for t in tokens)


def logprob(prefix, token):
    digest = hashlib.sha256(f"{prefix}|{token}".encode()).hexdigest()
    return -(int(digest[:8], 16) % 100_000) / 9973.0


class FakeServer:
    def __init__(self, mode="ok"):
        self.mode = mode
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                server.requests.append(("GET", self.path, None))
                if self.path == "/tokenizer_info" and server.mode != "no_tokenizer":
                    return self.reply(
                        200,
                        {"tokenizer_class": "gguf", "eos_token": "</s>", "bos_token": "<s>", "pad_token": None,
                         "model_max_length": 4096},
                    )
                if self.path == "/v1/models":
                    return self.reply(200, {"object": "list", "data": [{"id": "fake", "max_model_len": 4096}]})
                self.reply(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(("POST", self.path, body))
                if self.path == "/tokenize" and server.mode != "no_tokenizer":
                    return self.reply(200, {"tokens": encode(body["prompt"]), "count": 0, "max_model_len": 4096})
                if self.path == "/detokenize" and server.mode != "no_tokenizer":
                    return self.reply(200, {"prompt": decode(body["tokens"])})
                if self.path == "/v1/completions":
                    return self.reply(200, server.complete(body))
                self.reply(404, {"error": {"message": f"no route {self.path}"}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def complete(self, body):
        prompts = body["prompt"]
        if isinstance(prompts, str) or (prompts and isinstance(prompts[0], int)):
            prompts = [prompts]
        choices = []
        for index, prompt in enumerate(prompts):
            tokens = encode(prompt) if isinstance(prompt, str) else list(prompt)
            if body.get("echo") and self.mode != "no_echo":
                generated = [ord("x")]
                all_tokens = tokens + generated
                values = [None] + [logprob(decode(all_tokens[:i]), t) for i, t in enumerate(all_tokens) if i > 0]
                top = [None] + [{decode([t]): values[i]} for i, t in enumerate(all_tokens) if i > 0]
                logprobs = {"tokens": [decode([t]) for t in all_tokens], "token_logprobs": values,
                            "top_logprobs": top, "text_offset": list(range(len(all_tokens)))}
                choices.append({"index": index, "text": decode(all_tokens), "logprobs": logprobs, "finish_reason": "length"})
            else:
                answer = f" {int(hashlib.sha256(decode(tokens).encode()).hexdigest()[:6], 16) % 40}"
                choices.append({"index": index, "text": answer, "logprobs": None, "finish_reason": "stop"})
        return {"id": "cmpl-fake", "object": "text_completion", "created": 0, "model": body.get("model"),
                "choices": choices, "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
