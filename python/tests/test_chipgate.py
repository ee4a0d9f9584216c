"""The Python package against the command line: the same answers, from the same engine.

CHIPGATE names the CLI binary to compare with (default: the workspace's debug build)."""

import csv
import io
import json
import os
import random
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import chipgate

ROOT = Path(__file__).resolve().parents[2]
CLI = os.environ.get("CHIPGATE", str(ROOT / "target" / "debug" / "chipgate"))


def cli(*args, stdin=None):
    env = {k: v for k, v in os.environ.items() if k != "CHIPGATE_RULES"}
    return subprocess.run([CLI, *args], input=stdin, capture_output=True, env=env, check=False)


CHECKS = [
    ({"chip": "H100", "to": "CN", "date": "2024-06-01"}, ["H100", "--to", "CN", "--date", "2024-06-01"]),
    ({"chip": "A800", "to": "CN", "date": "2023-06-01"}, ["A800", "--to", "CN", "--date", "2023-06-01"]),
    ({"chip": "A800", "to": "CN", "date": "2024-06-01"}, ["A800", "--to", "CN", "--date", "2024-06-01"]),
    ({"chip": "H20", "to": "CN", "date": "2025-06-01", "trace": True}, ["H20", "--to", "CN", "--date", "2025-06-01", "--trace"]),
    ({"chip": "H200", "to": "CN", "date": "2026-06-01", "ship_from": "SG"}, ["H200", "--to", "CN", "--date", "2026-06-01", "--ship-from", "SG"]),
    ({"chip": "H100", "to": "AE", "date": "2025-02-01", "end_user_hq": "CN"}, ["H100", "--to", "AE", "--date", "2025-02-01", "--end-user-hq", "CN"]),
    ({"to": "CN", "date": "2024-06-01", "tpp": 5000, "die_area": 600, "datacenter": True},
     ["--to", "CN", "--date", "2024-06-01", "--tpp", "5000", "--die-area", "600", "--datacenter"]),
    ({"to": "DE", "date": "2024-06-01", "throughput": ["8=1979"], "die_area": 814},
     ["--to", "DE", "--date", "2024-06-01", "--throughput", "8=1979", "--die-area", "814"]),
    ({"based_on": "H100", "to": "CN", "date": "2024-06-01", "interconnect": 400},
     ["--based-on", "H100", "--to", "CN", "--date", "2024-06-01", "--interconnect", "400"]),
]


@pytest.mark.parametrize("params,flags", CHECKS)
def test_check_answers_as_the_command_line_does(params, flags):
    chip = params.pop("chip", None)
    got = chipgate.check(chip, **params)
    run = cli("check", *flags, "--format", "json")
    assert run.returncode in (0, 1), run.stderr.decode()
    want = json.loads(run.stdout.decode().replace("given on the command line", "given in the call"))
    assert got == want


def case_call(case):
    """A case of tests/cases as keyword arguments of `check` and as `chipgate check` flags (the
    mapping of tests/serve.rs)."""
    def text(v):
        return v if isinstance(v, str) else json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    given = []
    for key, v in case.items():
        if key == "chip":
            given.append(("chip", v, [v]))
        elif key in ("based_on", "to", "date", "end_user_hq", "exporter", "ship_from", "end_user", "consignee", "exporter_role"):
            given.append((key, str(v), ["--" + key.replace("_", "-"), str(v)]))
        elif key in ("end_user_owners", "consignee_owners"):
            name = key[:-1]
            given.append((name, str(v), ["--" + name.replace("_", "-"), str(v)]))
        elif key in ("tpp", "pd", "die_area_mm2", "interconnect_gbps", "memory_bandwidth_gbps", "memory_bandwidth_density",
                     "node_nm", "transistors_billion", "hbm_stacks"):
            name = {"die_area_mm2": "die_area", "interconnect_gbps": "interconnect", "memory_bandwidth_gbps": "memory_bandwidth",
                    "node_nm": "node", "transistors_billion": "transistors"}.get(key, key)
            x = float(v)
            shown = str(int(x)) if x.is_integer() else repr(x)
            given.append((name, x, ["--" + name.replace("_", "-"), shown]))
        elif key in ("datacenter", "hbm"):
            name = "consumer" if key == "datacenter" and v is False else key
            given.append((name, True, ["--" + name]))
        elif key == "item":
            given.append(("item", v, ["--item", v]))
        elif key in ("contains", "described_in", "attested_by"):
            given.append((key, list(v), [f for t in v for f in ("--" + key.replace("_", "-"), t)]))
        elif key == "throughput":
            items = [f"{p}={text(t)}" for p, t in v.items()] if isinstance(v, dict) else [text(t) for t in v]
            given.append(("throughput", items, [f for t in items for f in ("--throughput", t)]))
    given.sort(key=lambda g: g[0] != "chip")
    return {k: v for k, v, _ in given}, [f for _, _, fs in given for f in fs]


def all_cases():
    tomllib = pytest.importorskip("tomllib", reason="the cases are read with tomllib (Python 3.11 or later)")
    out = []
    for f in sorted((ROOT / "tests" / "cases").glob("*.toml")):
        for c in tomllib.loads(f.read_text())["case"]:
            out.append((f"{f.name} / {c['name']}", c))
    return out


def test_every_table_driven_case_answers_as_the_command_line_does():
    cases = all_cases()
    assert len(cases) > 300
    bad = []
    for name, case in cases:
        params, flags = case_call(case)
        chip = params.pop("chip", None)
        run = cli("check", *flags, "--format", "json")
        want = json.loads(run.stdout.decode().replace("given on the command line", "given in the call"))
        got = chipgate.check(chip, **params)
        if got != want:
            bad.append(name)
    assert not bad, f"{len(bad)} of {len(cases)} cases differ: {bad[:5]}"


def test_a_wrong_parameter_raises_the_command_lines_message():
    with pytest.raises(ValueError, match=r"unknown country `Atlantis`; use an ISO 3166-1 alpha-2 code"):
        chipgate.check("H100", to="Atlantis")
    with pytest.raises(ValueError, match="H1OO"):
        chipgate.check("H1OO", to="CN")
    with pytest.raises(ValueError, match="date"):
        chipgate.check("H100", to="CN", date="2024-02-30")


def shipments(n, seed):
    rng = random.Random(seed)
    chips = ["H100", "A800", "H800", "H20", "L40S", "RTX 4090", "MI300X", "B200", "Tensor X9", ""]
    dests = ["CN", "HK", "AE", "DE", "US", "RU", "SG", "Hong Kong", "IR", "Atlantis"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "chip", "destination", "date", "quantity", "tpp", "note"])
    for i in range(n):
        chip = rng.choice(chips)
        tpp = rng.choice(["", "", "4800", "2400"]) if chip == "" or rng.random() < 0.1 else ""
        if chip == "" and tpp == "":
            tpp = "6000"
        day = f"{rng.randint(2022, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < 0.02:
            day = "2024-02-30"
        w.writerow([i, chip, rng.choice(dests), day, rng.choice(["1", "8", "a dozen", "1,024"]), tpp, "rma, replacement"])
    return out.getvalue()


def audit_columns(table):
    """The seven audit columns as the CSV writes them."""
    names = ["eccn", "license_required", "exceptions", "review_policy", "verdict", "reasons", "error"]
    cols = {n: table.column(n).to_pylist() for n in names}
    rows = []
    for i in range(table.num_rows):
        row = []
        for n in names:
            v = cols[n][i]
            if n == "license_required":
                v = "unknown" if v is None and cols["verdict"][i] != "error" else ("" if v is None else str(v).lower())
            row.append("" if v is None else v)
        rows.append(row)
    return rows


def cli_audit(text):
    run = cli("audit", "-", "--date", "2025-01-01", "-q", stdin=text.encode())
    assert run.returncode in (0, 1, 2), run.stderr.decode()
    return [r[-7:] for r in list(csv.reader(io.StringIO(run.stdout.decode())))[1:]]


def test_audit_over_arrow_answers_every_row_as_the_command_line_does():
    text = shipments(5000, 3)
    want = cli_audit(text)
    strings = pacsv.read_csv(io.BytesIO(text.encode()), convert_options=pacsv.ConvertOptions(column_types={
        n: pa.string() for n in ["id", "chip", "destination", "date", "quantity", "tpp", "note"]}, strings_can_be_null=False))
    got = chipgate.audit(strings, date="2025-01-01")
    assert got.num_rows == 5000
    assert got.schema.field("license_required").type == pa.bool_()
    assert audit_columns(got) == want
    summary = json.loads(got.schema.metadata[b"chipgate.summary"])
    assert summary["rows"] == 5000 and summary["error_rows"] > 0


def test_pandas_and_polars_frames_and_typed_columns_give_the_same_verdicts():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    text = shipments(2000, 5)
    clean = "\n".join(l for l in text.splitlines() if "2024-02-30" not in l and "a dozen" not in l and "1,024" not in l) + "\n"
    want = [r[4] for r in cli_audit(clean)]
    typed = pacsv.read_csv(io.BytesIO(clean.encode()))  # dates as date32, ids and TPPs as integers
    assert typed.schema.field("date").type == pa.date32()
    for data in (typed, pd.read_csv(io.StringIO(clean), dtype={"quantity": "Int64"}), pl.read_csv(io.StringIO(clean))):
        got = chipgate.audit(data, date="2025-01-01")
        assert got.column("verdict").to_pylist() == want, type(data)


def test_bad_input_is_an_error_that_says_what_is_wrong():
    with pytest.raises(ValueError, match="destination"):
        chipgate.audit(pa.table({"chip": ["H100"]}))
    with pytest.raises(TypeError, match="cannot audit a int"):
        chipgate.audit(3)
    with pytest.raises(ValueError, match="the column `destination` is of type List"):
        chipgate.audit(pa.table({"chip": ["H100"], "destination": [["CN"]]}))


def test_a_rule_set_loads_once_and_the_builtin_can_be_left_out():
    rs = chipgate.RuleSet()
    assert rs.version.startswith("chipgate-builtin@")
    assert chipgate.check("H100", to="CN", date="2024-06-01", rules=rs)["verdict"] == "license_required"
    with pytest.raises(ValueError):
        chipgate.check("H100", to="CN", date="2024-06-01", rules=chipgate.RuleSet(builtin=False))


def test_a_screening_list_screens_as_the_command_lines_parties_does():
    csl = str(ROOT / "tests" / "fixtures" / "csl" / "csl-sample.csv")
    rs = chipgate.RuleSet(parties=[csl])
    got = chipgate.check("T4", to="SG", date="2026-06-01", end_user="EAC Shenzhen", rules=rs)
    run = cli("--parties", csl, "check", "T4", "--to", "SG", "--date", "2026-06-01", "--end-user", "EAC Shenzhen", "--format", "json")
    assert run.returncode == 1, run.stderr.decode()
    assert got == json.loads(run.stdout)
    assert got["screening"][0]["hits"][0]["entry"] == "csl/90001"
    with pytest.raises(ValueError, match="cannot read the screening list"):
        chipgate.RuleSet(parties=["no/such/list.csv"])


def test_arrow_input_is_read_without_a_copy_and_its_columns_come_back_as_they_were():
    text = shipments(3000, 7)
    table = pacsv.read_csv(io.BytesIO(text.encode()), read_options=pacsv.ReadOptions(block_size=1 << 14))
    assert table.column("chip").num_chunks > 1
    got = chipgate.audit(table, date="2025-01-01")
    # The input's columns are the input's own buffers (shared through the C stream interface).
    for name in ("chip", "note"):
        a, b = table.column(name).chunks, got.column(name).chunks
        assert [c.buffers()[2].address for c in a] == [c.buffers()[2].address for c in b]
    assert got.select(table.column_names).equals(table)


def test_audit_batches_streams_with_one_memo_and_the_whole_streams_row_numbers():
    text = shipments(4000, 9)
    table = pacsv.read_csv(io.BytesIO(text.encode()), convert_options=pacsv.ConvertOptions(column_types={
        n: pa.string() for n in ["id", "chip", "destination", "date", "quantity", "tpp", "note"]}, strings_can_be_null=False))
    pulled = []

    def source():
        for b in table.to_batches(max_chunksize=100):
            pulled.append(b.num_rows)
            yield b

    stream = chipgate.audit_batches(pa.RecordBatchReader.from_batches(table.schema, source()), date="2025-01-01")
    first = next(stream)
    # Batches are read as they are asked for, not all at once: at most a few per worker thread
    # (at most 4 workers, 2 batches each) and the channel's are in flight, of the 40.
    assert len(pulled) <= 12
    rest = list(stream)
    got = pa.Table.from_batches([first] + rest)
    assert audit_columns(got) == cli_audit(text)
    unnumbered = pa.Table.from_batches(list(chipgate.audit_batches(table, date="2025-01-01", row_numbers=False)))
    errors = [e for e in unnumbered.column("error").to_pylist() if e]
    assert errors and not any(e.startswith("row ") or e.startswith("warning: row ") for e in errors)


def test_an_audit_that_fails_midway_raises_value_error_with_the_cause():
    good = pa.record_batch({"chip": ["H100"], "destination": ["CN"]})
    other = pa.record_batch({"chip": ["H100"], "destination": [1]})
    with pytest.raises(ValueError, match="destination"):
        chipgate.audit(pa.table({"chip": ["H100"]}))
    with pytest.raises((ValueError, pa.ArrowException)):
        chipgate.audit(pa.RecordBatchReader.from_batches(good.schema, iter([good, other])))


def test_the_exporter_role_and_attestations_of_rows_without_them_answer_as_the_command_line_does():
    table = pa.table({"chip": ["T4", "T4", "T4"], "destination": ["CN"] * 3, "date": ["2026-03-01"] * 3,
                      "node_nm": [12.0, 12.0, 12.0], "transistors_billion": [None, 13.6, None],
                      "attested_by": ["", "fabricator", ""]})
    got = chipgate.audit(table, exporter_role="fabricator").column("verdict").to_pylist()
    want = []
    for flags in (["--node", "12"], ["--node", "12", "--transistors", "13.6", "--attested-by", "fabricator"], ["--node", "12"]):
        out = cli("check", "T4", "--to", "CN", "--date", "2026-03-01", "--exporter-role", "fabricator", "--format", "json", *flags)
        want.append(json.loads(out.stdout)["verdict"])
    assert got == want == ["license_required", "no_license_required", "license_required"]
    assert chipgate.audit(table).column("verdict").to_pylist() == ["no_license_required"] * 3
    assert chipgate.check(chip="T4", to="CN", date="2026-03-01", node=12, exporter_role="osat")["verdict"] == "license_required"
    with pytest.raises(ValueError, match="unknown exporter role `fab`"):
        chipgate.audit(table, exporter_role="fab")
