"""Decodes an OTLP ExportTraceServiceRequest given as protobuf bytes and as OTLP JSON (hex ids) with
the opentelemetry-proto package MLflow's server uses, and prints both as protobuf's canonical JSON
(so a test can check that judgeflow's hand-written protobuf encoder says what its JSON encoder says).

Usage: python otlp_decode.py <request.pb> <request.json>
"""

import base64
import json
import sys

from google.protobuf.json_format import MessageToDict, Parse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def from_protobuf(path):
    message = ExportTraceServiceRequest()
    with open(path, "rb") as f:
        message.ParseFromString(f.read())
    return MessageToDict(message)


def from_json(path):
    with open(path) as f:
        data = json.load(f)
    # OTLP JSON uses hex ids; protobuf's JSON mapping wants base64 (what MLflow's server converts too).
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for field in ("traceId", "spanId", "parentSpanId"):
                    if span.get(field):
                        span[field] = base64.b64encode(bytes.fromhex(span[field])).decode("ascii")
    message = ExportTraceServiceRequest()
    Parse(json.dumps(data), message)
    return MessageToDict(message)


if __name__ == "__main__":
    print(json.dumps({"protobuf": from_protobuf(sys.argv[1]), "json": from_json(sys.argv[2])}))
