#!/usr/bin/env python3
"""Generate ironiam's model tables, typed operation layer and dispatch from botocore's models.

Three files, all committed and never edited by hand:
  * crates/protocol/src/model/generated.rs: the model as static tables (below);
  * crates/protocol/src/dto/generated.rs: per service, a Rust struct per structure shape
    (operation inputs and outputs, shared shapes such as `Role` or `Tag` once), decoded
    from a validated `Input` and encoded to AWS's XML in the model's member order
    (issue 11 item 1);
  * crates/server/src/api/generated.rs: per service, a trait with one method per
    operation (each defaulting to AWS-shaped NotImplemented) and the dispatch from an
    `OperationDef` to that method.

The AWS Query protocol shapes of IAM (2010-05-08) and STS (2011-06-15) come from the
models botocore ships (``botocore/data/<svc>/<version>/service-2.json.gz``), not from
memory. This script reads them and writes static Rust tables: every operation, the
input and output shapes reachable from it (wire names, types, required members, min/max,
patterns, enums, the `sensitive` flag), the result wrapper and top-level output members,
and the error shapes.

Usage:
    python3 scripts/gen-model.py            # (re)write the committed file
    python3 scripts/gen-model.py --check    # fail if regenerating would change it
    python3 scripts/gen-model.py --botocore-dir DIR --out FILE
                               (--out moves only the model tables' file)

Standard library only. The output is deterministic: operations, shapes and errors are
sorted by name, and patterns are numbered in first-use order of that sorted walk.

Java regex -> Rust regex: AWS validates patterns with java.util.regex, so the patterns are
translated to the `regex` crate's syntax with Java's meaning kept:
  * ``\\uXXXX`` (exactly four hex digits, as Java reads it) -> ``\\x{XXXX}``. Java reads
    ``\\u10000`` as U+1000 followed by ``0``; so do we, on purpose (see STS ``arnType``).
  * ``\\w``, ``\\d``, ``\\s`` are ASCII-only in Java; Rust's are Unicode. They become explicit
    ASCII classes.
  * ``.`` outside a class excludes Java's line terminators.
  * escaped punctuation that is not a Rust meta character (``\\/``) becomes a literal.
  * a ``-`` inside a class that Java reads as a literal (after a range) is escaped.
  * the whole pattern is anchored ``^(?:...)$``: AWS patterns must match the whole value.
Anything the translator does not understand makes the script fail loudly.
"""

import argparse
import gzip
import json
import os
import sys
import tempfile

SERVICES = [
    # (Rust variant, botocore name, api version, static prefix)
    ("Iam", "iam", "2010-05-08", "IAM"),
    ("Sts", "sts", "2011-06-15", "STS"),
]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "crates", "protocol", "src", "model", "generated.rs")
DTO_OUT = os.path.join(REPO_ROOT, "crates", "protocol", "src", "dto", "generated.rs")
API_OUT = os.path.join(REPO_ROOT, "crates", "server", "src", "api", "generated.rs")

KINDS = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "boolean": "Boolean",
    "timestamp": "Timestamp",
    "blob": "Blob",
}

# Characters that must stay escaped in the Rust regex syntax (outside and inside classes).
RUST_META = set("\\.+*?()|[]{}^$#&-~")
HEX = set("0123456789abcdefABCDEF")
JAVA_LINE_TERMINATORS_CLASS = r"[^\n\r\x{85}\x{2028}\x{2029}]"


class GenError(Exception):
    pass


def botocore_dir():
    try:
        import botocore  # noqa: PLC0415 (only needed when no directory is given)
    except ImportError as e:  # pragma: no cover
        raise GenError("botocore is not installed; pass --botocore-dir") from e
    return os.path.dirname(botocore.__file__), getattr(botocore, "__version__", "unknown")


def load_model(bdir, name, version):
    path = os.path.join(bdir, "data", name, version, "service-2.json.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    plain = path[: -len(".gz")]
    with open(plain, encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------------------
# Java regex -> Rust regex
# --------------------------------------------------------------------------------------


def java_to_rust_regex(src):
    """Translate one java.util.regex pattern to `regex`/`fancy-regex` syntax (unanchored)."""
    out = []
    i = 0
    n = len(src)
    in_class = 0
    # Inside a class: what the previous item was, to know whether a '-' is a range operator.
    # 'start' (just after '[' or '[^'), 'char' (single char, can start a range),
    # 'range' (a completed range) or 'set' (a class escape such as \w).
    prev = "start"
    pending_range = False

    def class_item(text, kind):
        nonlocal prev, pending_range
        out.append(text)
        if pending_range:
            if kind != "char":
                raise GenError(f"range to a non-character in pattern {src!r}")
            pending_range = False
            prev = "range"
        else:
            prev = kind

    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 >= n:
                raise GenError(f"trailing backslash in pattern {src!r}")
            e = src[i + 1]
            if e == "u":
                digits = src[i + 2 : i + 6]
                if len(digits) != 4 or not set(digits) <= HEX:
                    raise GenError(f"bad \\u escape in pattern {src!r}")
                cp = int(digits, 16)
                if 0xD800 <= cp <= 0xDFFF:
                    raise GenError(f"surrogate code point \\u{digits} in pattern {src!r}")
                text = "\\x{%s}" % digits.upper()
                i += 6
                if in_class:
                    class_item(text, "char")
                else:
                    out.append(text)
                continue
            i += 2
            if e in "wdsWDS":
                ascii_sets = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}
                if e.islower():
                    if in_class:
                        class_item(ascii_sets[e], "set")
                    else:
                        out.append("[" + ascii_sets[e] + "]")
                else:
                    if in_class:
                        raise GenError(f"negated class escape \\{e} inside a class in {src!r}")
                    out.append("[^" + ascii_sets[e.lower()] + "]")
                continue
            if e in "tnrfae":
                text = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "a": "\\x07", "e": "\\x1B"}[e]
                if in_class:
                    class_item(text, "char")
                else:
                    out.append(text)
                continue
            if e in "pP":
                if i < n and src[i] == "{":
                    end = src.index("}", i)
                    name = src[i + 1 : end]
                    i = end + 1
                else:
                    name = src[i]
                    i += 1
                # One- or two-letter Unicode general categories mean the same in both.
                if not (1 <= len(name) <= 2 and name.isalpha() and name[0].isupper()):
                    raise GenError(f"unsupported property \\{e}{{{name}}} in {src!r}")
                text = "\\%s{%s}" % (e, name)
                if in_class:
                    class_item(text, "set")
                else:
                    out.append(text)
                continue
            if e.isalnum():
                raise GenError(f"unsupported escape \\{e} in pattern {src!r}")
            # Escaped punctuation: keep the escape only where Rust needs it.
            text = "\\" + e if e in RUST_META or e == "-" else e
            if in_class:
                class_item(text, "char")
            else:
                out.append(text)
            continue

        if in_class:
            if c == "]" and prev != "start":
                if pending_range:
                    raise GenError(f"unterminated range in {src!r}")
                out.append("]")
                in_class -= 1
                prev = "char"
                i += 1
                continue
            if c == "[":
                raise GenError(f"nested class in pattern {src!r}")
            if c == "^" and prev == "start" and out and out[-1] == "[":
                out.append("^")
                i += 1
                continue
            if c == "&" and src[i : i + 2] == "&&":
                raise GenError(f"class intersection in pattern {src!r}")
            if c == "-":
                nxt = src[i + 1] if i + 1 < n else ""
                if prev == "char" and nxt not in ("]", ""):
                    out.append("-")
                    pending_range = True
                else:
                    # Java reads this '-' as a literal (class start, end, or after a range).
                    class_item("\\-", "char")
                i += 1
                continue
            class_item("\\" + c if c in RUST_META else c, "char")
            i += 1
            continue

        # Outside a class.
        if c == "[":
            in_class += 1
            prev = "start"
            pending_range = False
            out.append("[")
            i += 1
            continue
        if c == ".":
            out.append(JAVA_LINE_TERMINATORS_CLASS)
            i += 1
            continue
        if c in "#~&":
            out.append("\\" + c)
            i += 1
            continue
        out.append(c)
        i += 1
    if in_class:
        raise GenError(f"unterminated class in pattern {src!r}")
    return "".join(out)


def anchored(rust_src):
    return "^(?:" + rust_src + ")$"


# --------------------------------------------------------------------------------------
# Rust emission helpers
# --------------------------------------------------------------------------------------


def rs(s):
    """A Rust string literal for `s`."""
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif cp < 0x20 or cp == 0x7F or cp > 0x7E:
            out.append("\\u{%x}" % cp)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def opt_i64(v):
    return "None" if v is None else f"Some({int(v)})"


class Generator:
    def __init__(self, bdir):
        self.bdir = bdir
        self.patterns = {}  # java source -> static name
        self.pattern_order = []
        self.lines = []

    def pattern_static(self, java_src):
        if java_src not in self.patterns:
            name = f"PATTERN_{len(self.pattern_order)}"
            self.patterns[java_src] = name
            self.pattern_order.append(java_src)
        return self.patterns[java_src]

    def generate(self, version_label):
        models = []
        for variant, name, version, prefix in SERVICES:
            model = load_model(self.bdir, name, version)
            meta = model["metadata"]
            if meta.get("protocol") != "query":
                raise GenError(f"{name}: expected the query protocol, got {meta.get('protocol')}")
            if meta.get("apiVersion") != version:
                raise GenError(f"{name}: expected apiVersion {version}, got {meta.get('apiVersion')}")
            models.append((variant, name, version, prefix, model))

        body = []
        op_counts = []
        for variant, name, version, prefix, model in models:
            body.extend(self.service_tables(variant, prefix, model))
            op_counts.append(f"{prefix} {version}: {len(model['operations'])} operations")

        head = [
            "// @generated by scripts/gen-model.py from botocore's service models. Do not edit:",
            "// change the generator and run `python3 scripts/gen-model.py`",
            "// (`--check` verifies this file is up to date).",
            f"// botocore version: {version_label}",
            "// " + "; ".join(op_counts),
            "//",
            "// Error shapes without an `error` block use the shape name as code, HTTP 400 and",
            "// Sender, which is what Smithy's @error(\"client\") means for awsQuery.",
            "#![allow(non_upper_case_globals)]",
            "",
            "use super::{ErrorDef, Member, OperationDef, Pattern, Service, Shape, ShapeKind};",
            "",
        ]
        pats = ["// Patterns: the model's Java source, then its anchored Rust translation."]
        for java_src in self.pattern_order:
            rust = anchored(java_to_rust_regex(java_src))
            pats.append(
                f"static {self.patterns[java_src]}: Pattern = Pattern::new(\n"
                f"    {rs(java_src)},\n    {rs(rust)},\n);"
            )
        pats.append("")
        return "\n".join(head + pats + body) + "\n"

    # ----------------------------------------------------------------------------------

    def service_tables(self, variant, prefix, model):
        shapes = model["shapes"]
        ops = model["operations"]
        out = []

        # Shapes reachable from operations' inputs and outputs (the audit log walks
        # outputs, and leaves out the members of `sensitive` shapes).
        reachable = set()

        def walk(shape_name):
            if shape_name in reachable:
                return
            if shape_name not in shapes:
                raise GenError(f"{prefix}: unknown shape {shape_name}")
            reachable.add(shape_name)
            s = shapes[shape_name]
            t = s["type"]
            if t == "structure":
                for m in s.get("members", {}).values():
                    walk(m["shape"])
            elif t == "list":
                walk(s["member"]["shape"])
            elif t == "map":
                walk(s["key"]["shape"])
                walk(s["value"]["shape"])
            elif t not in KINDS:
                raise GenError(f"{prefix}: shape {shape_name} has unsupported type {t}")

        for op_name in sorted(ops):
            op = ops[op_name]
            if "input" in op:
                walk(op["input"]["shape"])
            if "output" in op:
                walk(op["output"]["shape"])

        def sname(shape_name):
            return f"S_{prefix}_{shape_name}"

        out.append(f"// ---- {prefix}: input and output shapes ----")
        for shape_name in sorted(reachable):
            out.append(self.shape_static(prefix, shape_name, shapes[shape_name], sname))

        # Errors: every exception shape the model declares.
        errors = {}
        for shape_name, s in shapes.items():
            if not s.get("exception"):
                continue
            err = s.get("error")
            if err:
                code = err.get("code", shape_name)
                status = int(err.get("httpStatusCode", 400))
                sender = bool(err.get("senderFault", False))
            else:
                code, status, sender = shape_name, 400, True
            errors[shape_name] = (code, status, sender)

        def ename(shape_name):
            return f"E_{prefix}_{shape_name}"

        out.append(f"// ---- {prefix}: error shapes ----")
        for shape_name in sorted(errors):
            code, status, sender = errors[shape_name]
            out.append(
                f"static {ename(shape_name)}: ErrorDef = ErrorDef {{ shape: {rs(shape_name)}, "
                f"code: {rs(code)}, status: {status}, sender_fault: {'true' if sender else 'false'} }};"
            )
        by_code = sorted(errors, key=lambda n: (errors[n][0], n))
        codes = [errors[n][0] for n in by_code]
        if len(set(codes)) != len(codes):
            raise GenError(f"{prefix}: duplicate error codes")
        out.append(f"/// {prefix} error shapes, sorted by code.")
        out.append(f"pub(crate) static {prefix}_ERRORS: [&ErrorDef; {len(by_code)}] = [")
        for n in by_code:
            out.append(f"    &{ename(n)},")
        out.append("];")

        # Operations, sorted by name (binary search at run time).
        out.append(f"/// {prefix} operations, sorted by name.")
        out.append(f"pub(crate) static {prefix}_OPERATIONS: [OperationDef; {len(ops)}] = [")
        for op_name in sorted(ops):
            op = ops[op_name]
            if op.get("name", op_name) != op_name:
                raise GenError(f"{prefix}: operation key {op_name} != name {op.get('name')}")
            inp = f"Some(&{sname(op['input']['shape'])})" if "input" in op else "None"
            output = op.get("output")
            if output:
                out_shape = rs(output["shape"])
                wrapper = output.get("resultWrapper")
                wrapper_s = f"Some({rs(wrapper)})" if wrapper else "None"
                members = list(shapes[output["shape"]].get("members", {}).keys())
                members_s = "&[" + ", ".join(rs(m) for m in members) + "]"
                out_shape_s = f"Some({out_shape})"
                output_s = f"Some(&{sname(output['shape'])})"
            else:
                wrapper_s, members_s, out_shape_s, output_s = "None", "&[]", "None", "None"
            errs = [e["shape"] for e in op.get("errors", [])]
            for e in errs:
                if e not in errors:
                    raise GenError(f"{prefix}: {op_name} names unknown error {e}")
            errs_s = "&[" + ", ".join(f"&{ename(e)}" for e in errs) + "]"
            out.append(
                "    OperationDef {\n"
                f"        name: {rs(op_name)},\n"
                f"        service: Service::{variant},\n"
                f"        input: {inp},\n"
                f"        output_shape: {out_shape_s},\n"
                f"        output: {output_s},\n"
                f"        result_wrapper: {wrapper_s},\n"
                f"        output_members: {members_s},\n"
                f"        errors: {errs_s},\n"
                "    },"
            )
        out.append("];")
        out.append("")
        return out

    def shape_static(self, prefix, shape_name, s, sname):
        t = s["type"]
        if s.get("flattened"):
            raise GenError(f"{prefix}: flattened shape {shape_name} is not supported by the decoder")
        if t == "structure":
            required = set(s.get("required", []))
            members = []
            for m_name, ref in s.get("members", {}).items():
                if ref.get("flattened"):
                    raise GenError(f"{prefix}: flattened member {shape_name}.{m_name} unsupported")
                wire = ref.get("queryName", ref.get("locationName", m_name))
                members.append(
                    f"        Member {{ name: {rs(m_name)}, wire_name: {rs(wire)}, "
                    f"shape: &{sname(ref['shape'])}, required: {'true' if m_name in required else 'false'} }},"
                )
            unknown = required - set(s.get("members", {}))
            if unknown:
                raise GenError(f"{prefix}: {shape_name} requires unknown members {unknown}")
            kind = "ShapeKind::Structure {\n        members: &[\n" + "\n".join(
                "    " + m for m in members
            ) + "\n        ],\n    }" if members else "ShapeKind::Structure { members: &[] }"
        elif t == "list":
            ref = s["member"]
            el_name = ref.get("locationName", "member")
            kind = f"ShapeKind::List {{ member: &{sname(ref['shape'])}, member_name: {rs(el_name)} }}"
        elif t == "map":
            k, v = s["key"], s["value"]
            kind = (
                f"ShapeKind::Map {{ key: &{sname(k['shape'])}, value: &{sname(v['shape'])}, "
                f"key_name: {rs(k.get('locationName', 'key'))}, value_name: {rs(v.get('locationName', 'value'))} }}"
            )
        else:
            kind = "ShapeKind::" + KINDS[t]
        pattern = s.get("pattern")
        if pattern is not None and t != "string":
            raise GenError(f"{prefix}: pattern on non-string shape {shape_name}")
        enum = s.get("enum", [])
        if enum and t != "string":
            raise GenError(f"{prefix}: enum on non-string shape {shape_name}")
        pat_s = f"Some(&{self.pattern_static(pattern)})" if pattern is not None else "None"
        enum_s = "&[" + ", ".join(rs(e) for e in enum) + "]"
        return (
            f"static {sname(shape_name)}: Shape = Shape {{\n"
            f"    name: {rs(shape_name)},\n"
            f"    kind: {kind},\n"
            f"    min: {opt_i64(s.get('min'))},\n"
            f"    max: {opt_i64(s.get('max'))},\n"
            f"    pattern: {pat_s},\n"
            f"    enum_values: {enum_s},\n"
            f"    sensitive: {'true' if s.get('sensitive') else 'false'},\n"
            "};"
        )



# --------------------------------------------------------------------------------------
# The typed operation layer: DTOs (protocol crate) and the API trait + dispatch (server)
# --------------------------------------------------------------------------------------

RUST_KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
}

# Shapes whose rendered members a server may cache, per service: the value lists the
# trailing members that change without a new version of the entity (a role's last use
# changes on every use), which stay typed and are written after the cached fragment.
# GetRole and ListRoles render each role version once (server::render_cache).
CACHED_SHAPES = {"IAM": {"Role": ["RoleLastUsed"]}}

# Names the DTO modules use for their own helpers; a shape must not take one.
DTO_RESERVED = {"Blob", "Map", "DtoError", "FromInput", "FromValue", "XmlValue", "WriteMembers", "Input", "Value", "XmlWriter", "Arc", "String", "Vec", "Option"}


def snake(name):
    """`OpenIDConnectProviderArn` -> `open_id_connect_provider_arn`; keywords get a `_`."""
    import re  # noqa: PLC0415

    out = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    out = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", out).lower()
    return out + "_" if out in RUST_KEYWORDS else out


def camel(name):
    return name[0].upper() + name[1:]


class DtoGenerator:
    def __init__(self, models):
        # [(variant, botocore name, version, prefix, model)]
        self.models = models

    def header(self, version_label, what):
        counts = "; ".join(f"{p} {v}: {len(m['operations'])} operations" for _, _, v, p, m in self.models)
        return [
            "// @generated by scripts/gen-model.py from botocore's service models. Do not edit:",
            "// change the generator and run `python3 scripts/gen-model.py`",
            "// (`--check` verifies this file is up to date).",
            f"// botocore version: {version_label}",
            "// " + counts,
            f"// {what}",
        ]

    # -- DTOs ---------------------------------------------------------------------------

    def dto_file(self, version_label):
        out = self.header(version_label, "Per service: a struct per structure shape, and each operation's Input/Output.")
        out.append("#![allow(clippy::all, missing_docs)]")
        out.append("")
        for variant, name, version, prefix, model in self.models:
            out.append(f"/// {prefix} ({version}): every structure shape reachable from an operation.")
            out.append(f"pub mod {name} {{")
            out.append("    #[allow(unused_imports)]")
            out.append("    use std::sync::Arc;")
            out.append("    use std::fmt;")
            out.append("    #[allow(unused_imports)]")
            out.append("    use crate::dto::{optional, required, write_list, write_map, Blob, DtoError, FromInput, FromValue, Map, WriteMembers, XmlValue};")
            out.append("    use crate::{Input, Value, XmlWriter};")
            out.append("")
            for line in self.service_dtos(prefix, model):
                out.append(("    " + line) if line else "")
            out.append("}")
            out.append("")
        return "\n".join(out) + "\n"

    def service_dtos(self, prefix, model):
        shapes = model["shapes"]
        ops = model["operations"]
        cached = CACHED_SHAPES.get(prefix, {})
        structs = set()

        def walk(n):
            s = shapes[n]
            t = s["type"]
            if t == "structure":
                if n in structs:
                    return
                structs.add(n)
                for m in s.get("members", {}).values():
                    walk(m["shape"])
            elif t == "list":
                el = shapes[s["member"]["shape"]]
                if el["type"] in ("list", "map"):
                    raise GenError(f"{prefix}: list {n} of {el['type']} is not supported by the DTOs")
                walk(s["member"]["shape"])
            elif t == "map":
                if shapes[s["key"]["shape"]]["type"] != "string":
                    raise GenError(f"{prefix}: map {n} with a non-string key")
                if shapes[s["value"]["shape"]]["type"] in ("list", "map", "structure"):
                    raise GenError(f"{prefix}: map {n} of aggregates is not supported by the DTOs")
                walk(s["value"]["shape"])

        for op in ops.values():
            for k in ("input", "output"):
                if k in op:
                    walk(op[k]["shape"])

        names = {}
        for n in structs:
            r = camel(n)
            if r in names or r in DTO_RESERVED:
                raise GenError(f"{prefix}: struct name {r} is taken (shape {n})")
            names[r] = n
        for n in cached:
            if n not in structs:
                raise GenError(f"{prefix}: cached shape {n} is not a structure of the model")
            members = list(shapes[n]["members"])
            vol = cached[n]
            if members[len(members) - len(vol):] != vol:
                raise GenError(f"{prefix}: the volatile members of {n} must be its last ones")
            if "Cached" + camel(n) in names:
                raise GenError(f"{prefix}: Cached{camel(n)} collides with a shape")

        def rtype(n):
            s = shapes[n]
            t = s["type"]
            if t == "structure":
                return ("Cached" if n in cached else "") + camel(n)
            if t == "list":
                return f"Vec<{rtype(s['member']['shape'])}>"
            if t == "map":
                return f"Map<{rtype(s['value']['shape'])}>"
            return {"string": "String", "timestamp": "String", "integer": "i64", "long": "i64", "boolean": "bool", "blob": "Blob"}[t]

        def field_type(struct, m_name, ref):
            t = rtype(ref["shape"])
            return t if m_name in struct.get("required", []) else f"Option<{t}>"

        def write_value(expr, n, tag):
            s = shapes[n]
            if s["type"] == "list":
                el = s["member"].get("locationName", "member")
                return f"write_list(w, {rs(tag)}, {rs(el)}, {expr});"
            if s["type"] == "map":
                return f"write_map(w, {rs(tag)}, {rs(s['key'].get('locationName', 'key'))}, {rs(s['value'].get('locationName', 'value'))}, {expr});"
            return f"{expr.lstrip('&')}.write_xml(w, {rs(tag)});"

        def write_member(struct, m_name, ref, via_self=True):
            tag = ref.get("locationName", m_name)
            f = snake(m_name)
            base = f"self.{f}" if via_self else f
            if m_name in struct.get("required", []):
                shape = shapes[ref["shape"]]
                line = write_value(("&" if via_self else "") + base, ref["shape"], tag)
                if shape["type"] == "string" and shape.get("min", 0) >= 1:
                    # An empty value cannot be valid here: it stands for a member AWS
                    # leaves out against its own model (GetUser of the root user has
                    # no UserName or Path), so it is not written.
                    return [f"if !{base}.is_empty() {{", "    " + line, "}"]
                return [line]
            return [f"if let Some(v) = &{base} {{", "    " + write_value("v", ref["shape"], tag), "}"] if via_self else [
                f"if let Some(v) = {base} {{", "    " + write_value("v", ref["shape"], tag), "}"]

        out = []
        for n in sorted(structs):
            s = shapes[n]
            r = camel(n)
            members = list(s.get("members", {}).items())
            req = set(s.get("required", []))
            out.append(f"/// The model's `{n}`.")
            out.append("#[derive(Clone, PartialEq, Default)]")
            if not members:
                out.append(f"pub struct {r} {{}}")
            else:
                out.append(f"pub struct {r} {{")
                for m_name, ref in members:
                    out.append(f"    /// `{m_name}`{' (required)' if m_name in req else ''}.")
                    out.append(f"    pub {snake(m_name)}: {field_type(s, m_name, ref)},")
                out.append("}")
            # Debug without the values of sensitive members.
            out.append(f"impl fmt::Debug for {r} {{")
            out.append("    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {")
            chain = f"f.debug_struct({rs(r)})"
            for m_name, ref in members:
                if shapes[ref["shape"]].get("sensitive"):
                    chain += f".field({rs(snake(m_name))}, &\"<sensitive>\")"
                else:
                    chain += f".field({rs(snake(m_name))}, &self.{snake(m_name)})"
            out.append(f"        {chain}.finish()")
            out.append("    }")
            out.append("}")
            # Decoding from a validated Input.
            out.append(f"impl FromInput for {r} {{")
            out.append("    fn from_input(input: &Input) -> Result<Self, DtoError> {")
            if not members:
                out.append("        let _ = input;")
                out.append("        Ok(Self {})")
            else:
                out.append("        Ok(Self {")
                for m_name, ref in members:
                    fn_ = "required" if m_name in req else "optional"
                    out.append(f"            {snake(m_name)}: {fn_}(input, {rs(m_name)})?,")
                out.append("        })")
            out.append("    }")
            out.append("}")
            out.append(f"impl FromValue for {r} {{")
            out.append("    fn from_value(value: &Value) -> Option<Self> {")
            out.append("        value.as_structure().and_then(|i| Self::from_input(i).ok())")
            out.append("    }")
            out.append("}")
            # Encoding, members in model order.
            out.append(f"impl WriteMembers for {r} {{")
            if not members:
                out.append("    fn write_members(&self, _w: &mut XmlWriter) {}")
            else:
                out.append("    fn write_members(&self, w: &mut XmlWriter) {")
                for m_name, ref in members:
                    for line in write_member(s, m_name, ref):
                        out.append("        " + line)
                out.append("    }")
            out.append("}")
            out.append(f"impl XmlValue for {r} {{")
            out.append("    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {")
            out.append("        w.start(tag);")
            out.append("        self.write_members(w);")
            out.append("        w.end(tag);")
            out.append("    }")
            out.append("}")
            if n in cached:
                vol = cached[n]
                stable = [(m, ref) for m, ref in members if m not in vol]
                volatile = [(m, ref) for m, ref in members if m in vol]
                out.append(f"impl {r} {{")
                out.append(f"    /// Writes the members a cache may keep ({', '.join('`' + m + '`' for m, _ in stable[:1])} to")
                out.append(f"    /// `{stable[-1][0]}`): all but {', '.join('`' + m + '`' for m in vol)}.")
                out.append("    pub fn write_cacheable_members(&self, w: &mut XmlWriter) {")
                for m_name, ref in stable:
                    for line in write_member(s, m_name, ref):
                        out.append("        " + line)
                out.append("    }")
                out.append("}")
                c = "Cached" + r
                out.append(f"/// `{n}` as a response carries it: typed, or members rendered earlier by")
                out.append(f"/// [`{r}::write_cacheable_members`] followed by the members that change without a")
                out.append("/// new version of the entity.")
                out.append("#[derive(Clone, PartialEq, Debug)]")
                out.append(f"pub enum {c} {{")
                out.append("    /// Every member typed (boxed: a listing of fragments then moves small values).")
                out.append(f"    Typed(Box<{r}>),")
                out.append("    /// A cached fragment, then the volatile members.")
                out.append("    Fragment {")
                out.append(f"        /// XML written by [`{r}::write_cacheable_members`].")
                out.append("        members: Arc<str>,")
                for m_name, ref in volatile:
                    out.append(f"        /// `{m_name}`.")
                    out.append(f"        {snake(m_name)}: {field_type(s, m_name, ref)},")
                out.append("    },")
                out.append("}")
                out.append(f"impl Default for {c} {{")
                out.append(f"    fn default() -> Self {{ {c}::Typed(Box::default()) }}")
                out.append("}")
                out.append(f"impl From<{r}> for {c} {{")
                out.append(f"    fn from(value: {r}) -> Self {{ {c}::Typed(Box::new(value)) }}")
                out.append("}")
                out.append(f"impl FromValue for {c} {{")
                out.append(f"    fn from_value(value: &Value) -> Option<Self> {{ {r}::from_value(value).map(|v| {c}::Typed(Box::new(v))) }}")
                out.append("}")
                out.append(f"impl WriteMembers for {c} {{")
                out.append("    fn write_members(&self, w: &mut XmlWriter) {")
                out.append("        match self {")
                out.append(f"            {c}::Typed(value) => value.write_members(w),")
                fields = ", ".join(snake(m) for m, _ in volatile)
                out.append(f"            {c}::Fragment {{ members, {fields} }} => {{")
                out.append("                w.append(members);")
                for m_name, ref in volatile:
                    for line in write_member(s, m_name, ref, via_self=False):
                        out.append("                " + line)
                out.append("            }")
                out.append("        }")
                out.append("    }")
                out.append("}")
                out.append(f"impl XmlValue for {c} {{")
                out.append("    fn write_xml(&self, w: &mut XmlWriter, tag: &str) {")
                out.append("        w.start(tag);")
                out.append("        self.write_members(w);")
                out.append("        w.end(tag);")
                out.append("    }")
                out.append("}")
            out.append("")

        # Per operation: Input and Output names.
        out.append("// Operations: `{Op}Input` and `{Op}Output`.")
        for op_name in sorted(ops):
            op = ops[op_name]
            for suffix in ("Input", "Output"):
                if op_name + suffix in names:
                    raise GenError(f"{prefix}: {op_name}{suffix} collides with a shape")
            if "input" in op:
                out.append(f"/// The input of `{op_name}`.")
                out.append(f"pub type {op_name}Input = {camel(op['input']['shape'])};")
            else:
                out.append(f"/// The input of `{op_name}`: the model gives it no members.")
                out.append("#[derive(Clone, PartialEq, Default, Debug)]")
                out.append(f"pub struct {op_name}Input {{}}")
                out.append(f"impl FromInput for {op_name}Input {{")
                out.append("    fn from_input(_input: &Input) -> Result<Self, DtoError> { Ok(Self {}) }")
                out.append("}")
            if "output" in op:
                out.append(f"/// The output of `{op_name}`, written inside `<{op['output'].get('resultWrapper', op_name + 'Result')}>`.")
                out.append(f"pub type {op_name}Output = {camel(op['output']['shape'])};")
            else:
                out.append(f"/// The output of `{op_name}`: only `ResponseMetadata`.")
                out.append(f"pub type {op_name}Output = ();")
        return out

    # -- API trait and dispatch (server crate) -------------------------------------------

    def api_file(self, version_label):
        out = self.header(version_label, "Per service: the API trait (one method per operation) and its dispatch.")
        out += [
            "#![allow(clippy::all)]",
            "",
            "use ironiam_core::IamResult;",
            "use ironiam_protocol::dto::{iam, sts};",
            "use ironiam_protocol::{Input, OperationDef, Service};",
            "",
            "use super::{decode, encode, encode_none, not_implemented, op_index};",
            "use crate::handlers::{Ctx, HandlerResult};",
            "",
        ]
        for variant, name, version, prefix, model in self.models:
            ops = sorted(model["operations"])
            trait = f"{variant}Api"
            out.append(f"/// {prefix} ({version}): one method per operation. A method not implemented")
            out.append("/// answers AWS's `501 NotImplemented`; an implementation overrides the ones it serves.")
            out.append(f"pub(crate) trait {trait} {{")
            for op_name in ops:
                m = snake(op_name)
                out.append(f"    /// `{op_name}`.")
                out.append(f"    fn {m}(&self, ctx: &Ctx<'_>, input: {name}::{op_name}Input) -> IamResult<{name}::{op_name}Output> {{")
                out.append("        let _ = (ctx, input);")
                out.append(f"        Err(not_implemented({rs(op_name)}))")
                out.append("    }")
            out.append("}")
            out.append("")
            out.append(f"/// The {prefix} operations in dispatch order: the model's, by name.")
            out.append("#[cfg(test)]")
            out.append(f"pub(crate) const {prefix}_DISPATCH_ORDER: [&str; {len(ops)}] = [")
            for op_name in ops:
                out.append(f"    {rs(op_name)},")
            out.append("];")
            out.append("")
            out.append(f"/// Decodes `input` as `op`'s typed input, calls `api`'s method for it and encodes")
            out.append("/// the output (`None` for an operation whose output is only `ResponseMetadata`).")
            out.append(f"pub(crate) fn dispatch_{name}<A: {trait} + ?Sized>(api: &A, ctx: &Ctx<'_>, op: &OperationDef, input: &Input) -> HandlerResult {{")
            out.append(f"    match op_index(Service::{variant}, op) {{")
            for i, op_name in enumerate(ops):
                enc = "encode" if "output" in model["operations"][op_name] else "encode_none"
                out.append(f"        Some({i}) => {enc}(api.{snake(op_name)}(ctx, decode(input)?)?),")
            out.append("        _ => Err(not_implemented(op.name)),")
            out.append("    }")
            out.append("}")
            out.append("")
        return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    ap.add_argument("--botocore-dir", help="botocore package directory (default: the installed one)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output file")
    args = ap.parse_args(argv)

    try:
        if args.botocore_dir:
            bdir, version = args.botocore_dir, "unknown"
            vfile = os.path.join(bdir, "__init__.py")
            if os.path.exists(vfile):
                with open(vfile, encoding="utf-8") as f:
                    for line in f:
                        if line.startswith("__version__"):
                            version = line.split("=", 1)[1].strip().strip("'\"")
        else:
            bdir, version = botocore_dir()
        text = Generator(bdir).generate(version)
        models = [
            (variant, name, ver, prefix, load_model(bdir, name, ver))
            for variant, name, ver, prefix in SERVICES
        ]
        dtos = DtoGenerator(models)
        files = [(args.out, text), (DTO_OUT, dtos.dto_file(version)), (API_OUT, dtos.api_file(version))]
    except GenError as e:
        print(f"gen-model: {e}", file=sys.stderr)
        return 2

    if args.check:
        stale = 0
        for path, text in files:
            current = None
            try:
                with open(path, encoding="utf-8") as f:
                    current = f.read()
            except FileNotFoundError:
                pass
            if current != text:
                with tempfile.NamedTemporaryFile("w", suffix=".rs", delete=False, encoding="utf-8") as tmp:
                    tmp.write(text)
                print(
                    f"gen-model: {os.path.relpath(path, REPO_ROOT)} is stale "
                    f"(regenerated copy at {tmp.name}); run `python3 scripts/gen-model.py`",
                    file=sys.stderr,
                )
                stale += 1
        if stale:
            return 1
        print("gen-model: up to date")
        return 0

    for path, text in files:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"gen-model: wrote {os.path.relpath(path, REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
