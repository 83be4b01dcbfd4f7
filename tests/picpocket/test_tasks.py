"""Tests for task source paths and destination formats."""

import logging
import os
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from picpocket.errors import InputValidationError
from picpocket.tasks import (
    DEFAULT_DESTINATION_FORMAT,
    DESTINATION_FIELDS,
    DateFormat,
    Day,
    Month,
    RegexPart,
    Year,
    find_source_folders,
    format_destination,
    parse_source_path,
    serialize_source_path,
    validate_destination_format,
)

DATE_FORMATS = [
    "%Y",
    "%Y-%m-%d",
    "%Y_%b",
    "%m-%d",
    "%d",
    "day %j of %Y",
    "%H:%M",
    "%%%Y",
]
NAME_CHARACTERS = st.characters(exclude_characters="/", exclude_categories=("Cs",))


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


literal_names = st.text(NAME_CHARACTERS, min_size=1).filter(
    lambda name: name not in (".", "..")
)
# No '[' in the alphabet, because re warns about possible nested sets.
regex_patterns = st.text("ab0:.*+?(){}|^$-", min_size=1).filter(_compiles)
path_parts = st.one_of(
    literal_names,
    st.just(Year()),
    st.just(Month()),
    st.just(Day()),
    st.sampled_from(DATE_FORMATS).map(DateFormat),
    regex_patterns.map(RegexPart),
)


# Parsing and serializing source paths


def test_parse_date_parts():
    assert parse_source_path("DCIM/{year}/{month}/{day}") == [
        "DCIM",
        Year(),
        Month(),
        Day(),
    ]


def test_parse_argument_parts():
    assert parse_source_path("{date:%Y-%m-%d}/{regex:^[0-9]+_[A-Z]+$}/{str:{raw}}") == [
        DateFormat("%Y-%m-%d"),
        RegexPart("^[0-9]+_[A-Z]+$"),
        "{raw}",
    ]


def test_parse_regex_with_braces():
    assert parse_source_path("{regex:[0-9]{4}}") == [RegexPart("[0-9]{4}")]


def test_parse_date_format_with_colon():
    assert parse_source_path("{date:%H:%M}") == [DateFormat("%H:%M")]


def test_parse_str_without_braces():
    assert parse_source_path("{str:plain}") == ["plain"]


def test_parse_empty_is_root():
    assert parse_source_path("") == []


def test_parse_trailing_slash():
    assert parse_source_path("DCIM/{year}/") == ["DCIM", Year()]


def test_parse_trailing_slashes():
    assert parse_source_path("DCIM//") == ["DCIM"]


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("DCIM/IMG_{year}", "IMG_{year}"),
        ("{year}_photos", "{year}_photos"),
        ("{year}{month}", "{year}{month}"),
        ("{yr}", "{yr}"),
        ("{}", "{}"),
        ("{YEAR}", "{YEAR}"),
        ("{year:%Y}", "{year:%Y}"),
        ("{regex:(}", "{regex:(}"),
        ("{regex:}", "{regex:}"),
        ("{date:}", "{date:}"),
        ("{date}", "{date}"),
        ("{date:%Q}", "{date:%Q}"),
        ("{date:plain}", "{date:plain}"),
        ("{date:%Y}{month}", "{date:%Y}{month}"),
        ("{str:}", "{str:}"),
        ("{str:..}", "{str:..}"),
        ("a/../b", ".."),
        ("..", ".."),
        ("./DCIM", "."),
        ("a//b", "''"),
        ("{year", "{year"),
        ("year}", "year}"),
        ("{", "{"),
        ("}", "}"),
    ],
)
def test_parse_invalid(text, segment):
    with pytest.raises(InputValidationError, match=re.escape(segment)):
        parse_source_path(text)


@pytest.mark.parametrize("text", ["/DCIM", "/", "//a"])
def test_parse_absolute(text):
    with pytest.raises(InputValidationError, match="absolute"):
        parse_source_path(text)


def test_parse_unknown_lists_allowed():
    with pytest.raises(InputValidationError, match=re.escape("{regex:PATTERN}")):
        parse_source_path("{week}")


def test_parse_mixed_lists_allowed():
    with pytest.raises(InputValidationError, match=re.escape("{str:RAW}")):
        parse_source_path("IMG_{year}")


def test_serialize_date_parts():
    assert serialize_source_path(["DCIM", Year(), Month(), Day()]) == (
        "DCIM/{year}/{month}/{day}"
    )


def test_serialize_literal_with_braces():
    assert serialize_source_path(["{raw}"]) == "{str:{raw}}"


def test_serialize_literal_with_one_brace():
    assert serialize_source_path(["a}b"]) == "{str:a}b}"


def test_serialize_empty():
    assert serialize_source_path([]) == ""


@pytest.mark.parametrize(
    "parts",
    [
        ["a/b"],
        [""],
        ["DCIM", ""],
        [".."],
        [DateFormat("%Y/%m")],
        [DateFormat("")],
        [RegexPart("(")],
        [RegexPart("a/b")],
        [3],
    ],
)
def test_serialize_invalid(parts):
    with pytest.raises(InputValidationError):
        serialize_source_path(parts)


@given(literal_names)
def test_round_trip_literal(name):
    assert parse_source_path(serialize_source_path([name])) == [name]


@given(st.lists(path_parts, max_size=6))
def test_round_trip_parts(parts):
    assert parse_source_path(serialize_source_path(parts)) == parts


@pytest.mark.parametrize(
    "text",
    [
        "DCIM/{year}/{month}/{day}",
        "{date:%Y-%m-%d}/{regex:^[0-9]+_[A-Z]+$}/{str:{raw}}",
        "{regex:a}}",
        "photos/{date:day %j of %Y}",
    ],
)
def test_round_trip_text(text):
    assert serialize_source_path(parse_source_path(text)) == text


# Finding source folders


def _make_folders(root: Path, *relative_paths: str) -> None:
    for relative_path in relative_paths:
        (root / relative_path).mkdir(parents=True)


def _find(root: Path, text: str, since: datetime | None = None) -> list[str]:
    found = find_source_folders(root, parse_source_path(text), since)
    return [path.relative_to(root).as_posix() for path in found]


@pytest.fixture
def dated_tree(tmp_path):
    _make_folders(
        tmp_path,
        "DCIM/2020/02/29",
        "DCIM/2020/12/31",
        "DCIM/2021/02/28",
        "DCIM/2021/02/29",
        "DCIM/2021/03/01",
        "DCIM/2021/3/15",
        "DCIM/2021/04/31",
        "DCIM/2021/13/01",
        "DCIM/2021/00/01",
        "DCIM/2021/03/32",
        "DCIM/2021/03/00",
        "DCIM/2021/03/001",
        "DCIM/2021/003/01",
        "DCIM/0999/01/01",
        "DCIM/20211/01/01",
        "DCIM/notayear/01/01",
    )
    (tmp_path / "DCIM/2021/03/02").write_bytes(b"a file, not a folder")
    (tmp_path / "DCIM/2022").symlink_to(tmp_path / "missing")
    return tmp_path


def test_find_year_month_day(dated_tree):
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}") == [
        "DCIM/2020/02/29",
        "DCIM/2020/12/31",
        "DCIM/2021/02/28",
        "DCIM/2021/03/01",
        "DCIM/2021/3/15",
    ]


def test_find_years(dated_tree):
    assert _find(dated_tree, "DCIM/{year}") == ["DCIM/2020", "DCIM/2021"]


def test_find_months(dated_tree):
    assert _find(dated_tree, "DCIM/2021/{month}") == [
        "DCIM/2021/02",
        "DCIM/2021/03",
        "DCIM/2021/04",
        "DCIM/2021/3",
    ]


def test_find_day_in_february_without_year(tmp_path):
    _make_folders(tmp_path, "02/29", "02/30")
    assert _find(tmp_path, "{month}/{day}") == ["02/29"]


def test_find_empty_parts(tmp_path):
    assert list(find_source_folders(tmp_path, [])) == [tmp_path]


def test_find_missing_literal(dated_tree):
    assert _find(dated_tree, "Camera/{year}") == []


def test_find_literal_file(dated_tree):
    assert _find(dated_tree, "DCIM/2021/03/02") == []


def test_find_symlinked_folder(tmp_path):
    _make_folders(tmp_path, "elsewhere/01", "DCIM")
    (tmp_path / "DCIM/2019").symlink_to(tmp_path / "elsewhere")
    assert _find(tmp_path, "DCIM/{year}/{month}") == ["DCIM/2019/01"]


def test_find_since_year_start(dated_tree):
    since = datetime(2021, 1, 1)
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}", since) == [
        "DCIM/2021/02/28",
        "DCIM/2021/03/01",
        "DCIM/2021/3/15",
    ]


def test_find_since_keeps_same_day(dated_tree):
    since = datetime(2020, 12, 31, 23, 59)
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}", since) == [
        "DCIM/2020/12/31",
        "DCIM/2021/02/28",
        "DCIM/2021/03/01",
        "DCIM/2021/3/15",
    ]


def test_find_since_day_after(dated_tree):
    since = datetime(2021, 3, 2)
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}", since) == ["DCIM/2021/3/15"]


def test_find_since_month(dated_tree):
    since = datetime(2021, 3, 20)
    assert _find(dated_tree, "DCIM/{year}/{month}", since) == [
        "DCIM/2021/03",
        "DCIM/2021/04",
        "DCIM/2021/3",
    ]


def test_find_since_year(dated_tree):
    since = datetime(2021, 12, 31)
    assert _find(dated_tree, "DCIM/{year}", since) == ["DCIM/2021"]


def test_find_since_after_all(dated_tree):
    since = datetime(2022, 1, 1)
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}", since) == []


def test_find_since_without_dates(dated_tree):
    since = datetime(2030, 1, 1)
    assert _find(dated_tree, "DCIM/{regex:20.*}", since) == [
        "DCIM/2020",
        "DCIM/2021",
        "DCIM/20211",
    ]


def test_find_since_aware_uses_local_date(dated_tree):
    local_since = datetime(2021, 3, 2, 0, 30).astimezone()
    # The same moment in a zone where it is still 1 March.
    offset = local_since.utcoffset() - timedelta(hours=1)
    since = local_since.astimezone(timezone(offset))
    assert _find(dated_tree, "DCIM/{year}/{month}/{day}", since) == ["DCIM/2021/3/15"]


@pytest.fixture
def date_format_tree(tmp_path):
    _make_folders(
        tmp_path,
        "photos/2021-02-28",
        "photos/2021-02-30",
        "photos/2021-03-01",
        "photos/2021-3-5",
        "photos/2021-03",
        "photos/misc",
    )
    return tmp_path


def test_find_date_format(date_format_tree):
    assert _find(date_format_tree, "photos/{date:%Y-%m-%d}") == [
        "photos/2021-02-28",
        "photos/2021-03-01",
        "photos/2021-3-5",
    ]


def test_find_date_format_since_day(date_format_tree):
    since = datetime(2021, 3, 1, 18)
    assert _find(date_format_tree, "photos/{date:%Y-%m-%d}", since) == [
        "photos/2021-03-01",
        "photos/2021-3-5",
    ]


def test_find_date_format_since_month(tmp_path):
    _make_folders(tmp_path, "2021-02", "2021-03", "2021-Mar")
    since = datetime(2021, 3, 31)
    assert _find(tmp_path, "{date:%Y-%m}", since) == ["2021-03"]


def test_find_date_format_since_year(tmp_path):
    _make_folders(tmp_path, "y2020", "y2021")
    since = datetime(2021, 6, 1)
    assert _find(tmp_path, "{date:y%Y}", since) == ["y2021"]


def test_find_date_format_without_year(tmp_path):
    _make_folders(tmp_path, "2020/02-29", "2021/02-29", "2021/03-01")
    assert _find(tmp_path, "{year}/{date:%m-%d}") == ["2020/02-29", "2021/03-01"]


def test_find_date_format_year_from_parent(tmp_path):
    _make_folders(tmp_path, "2020/12-31", "2021/01-15", "2021/03-01")
    since = datetime(2021, 2, 1)
    assert _find(tmp_path, "{year}/{date:%m-%d}", since) == ["2021/03-01"]


def test_find_date_format_unknown_year_kept(tmp_path):
    _make_folders(tmp_path, "01-15", "03-01")
    since = datetime(2021, 2, 1)
    assert _find(tmp_path, "{date:%m-%d}", since) == ["01-15", "03-01"]


def test_find_regex(tmp_path):
    _make_folders(tmp_path, "123_ABC", "123_abc", "x123_ABC", "456_DEF", "7_G_H")
    assert _find(tmp_path, "{regex:^[0-9]+_[A-Z]+$}") == ["123_ABC", "456_DEF"]


def test_find_str_literal(tmp_path):
    _make_folders(tmp_path, "export/{raw}/2021", "export/raw/2021")
    assert _find(tmp_path, "export/{str:{raw}}/{year}") == ["export/{raw}/2021"]


def test_find_missing_root(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="picpocket.tasks"):
        found = _find(tmp_path / "missing", "{year}")
    assert found == []
    assert "missing" in caplog.text


def test_find_vanished_folder(tmp_path, caplog):
    _make_folders(tmp_path, "2020/01", "2021/01")
    found = find_source_folders(tmp_path, [Year(), Month()])
    with caplog.at_level(logging.WARNING, logger="picpocket.tasks"):
        assert next(found) == tmp_path / "2020/01"
        shutil.rmtree(tmp_path / "2021")
        assert list(found) == []
    assert str(tmp_path / "2021") in caplog.text


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root reads folders that have mode 000"
)
def test_find_unreadable_folder(tmp_path, caplog):
    _make_folders(tmp_path, "2020/01", "2021/01")
    (tmp_path / "2020").chmod(0)
    try:
        with caplog.at_level(logging.WARNING, logger="picpocket.tasks"):
            found = _find(tmp_path, "{year}/{month}")
    finally:
        (tmp_path / "2020").chmod(0o755)
    assert found == ["2021/01"]
    assert str(tmp_path / "2020") in caplog.text


def test_find_invalid_part(tmp_path):
    with pytest.raises(InputValidationError):
        find_source_folders(tmp_path, [RegexPart("(")])


# Destination formats


def _format(template: str, **overrides) -> PurePosixPath:
    values = {
        "directory": "DCIM/100CANON",
        "file": "IMG_1.JPG",
        "date": datetime(2021, 3, 1, 14, 5, 9),
        "hash": "ab12",
        "index": 7,
    }
    values.update(overrides)
    return format_destination(template, **values)


def test_format_default():
    expected = PurePosixPath("DCIM/100CANON/IMG_1.JPG")
    assert _format(DEFAULT_DESTINATION_FORMAT) == expected


def test_format_default_at_root():
    assert _format(DEFAULT_DESTINATION_FORMAT, directory="") == PurePosixPath(
        "IMG_1.JPG"
    )


def test_format_name_extension():
    assert _format("{extension}/{name}") == PurePosixPath("JPG/IMG_1")


def test_format_last_extension():
    assert _format("{name}+{extension}", file="a.tar.gz") == PurePosixPath("a.tar+gz")


def test_format_uuid():
    assert re.fullmatch("[0-9a-f]{32}", str(_format("{uuid}")))


def test_format_uuid_unique():
    assert _format("{uuid}") != _format("{uuid}")


def test_format_date():
    assert _format("{date:%Y/%m/%d}/{file}") == PurePosixPath("2021/03/01/IMG_1.JPG")


def test_format_date_time():
    assert _format("{date:%H-%M-%S}") == PurePosixPath("14-05-09")


def test_format_hash():
    assert _format("{hash}.{extension}") == PurePosixPath("ab12.JPG")


def test_format_index():
    assert _format("{index:04d}_{file}") == PurePosixPath("0007_IMG_1.JPG")


def test_format_drops_dot_segments():
    assert _format("./{directory}/./{file}") == PurePosixPath("DCIM/100CANON/IMG_1.JPG")


def test_format_dotdot_directory():
    with pytest.raises(InputValidationError, match=re.escape("'../x/IMG_1.JPG'")):
        _format(DEFAULT_DESTINATION_FORMAT, directory="../x")


def test_format_nested_dotdot_directory():
    with pytest.raises(InputValidationError, match=re.escape("'a/../../IMG_1.JPG'")):
        _format(DEFAULT_DESTINATION_FORMAT, directory="a/../..")


def test_format_absolute_directory():
    with pytest.raises(InputValidationError, match=re.escape("'/etc'")):
        _format(DEFAULT_DESTINATION_FORMAT, directory="/etc")


def test_format_empty_result():
    with pytest.raises(InputValidationError, match="empty"):
        _format("{directory}", directory="")


@pytest.mark.parametrize("file", ["", ".", "..", "a/b"])
def test_format_invalid_file(file):
    with pytest.raises(InputValidationError):
        _format(DEFAULT_DESTINATION_FORMAT, file=file)


def test_format_invalid_index():
    with pytest.raises(InputValidationError):
        _format("{index}", index=0)


def test_format_invalid_template():
    with pytest.raises(InputValidationError, match=re.escape("'{size}'")):
        _format("{size}")


@pytest.mark.parametrize(
    "template",
    [
        DEFAULT_DESTINATION_FORMAT,
        "{date:%Y}/{date:%m}/{uuid}.{extension}",
        "{hash}",
        "{index:05d}-{name}",
        "imports/{directory}/{file}",
        "{{literal}}/{file}",
        "{file:>20}",
    ],
)
def test_validate_accepts(template):
    assert validate_destination_format(template) is None


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{size}", "unknown field"),
        ("{file.__class__}", "attribute or index"),
        ("{date[0]}", "attribute or index"),
        ("{}", "positional"),
        ("{0}", "positional"),
        ("{file!r}", "conversion"),
        ("{index:%Y}", "format spec"),
        ("{file:d}", "format spec"),
        ("{date:{name}}", "nested"),
        ("/{file}", "absolute"),
        ("../{file}", "'..'"),
        ("{directory}/../{file}", "'..'"),
        ("{date:..}/{file}", "'..'"),
        ("", "empty"),
        ("/", "absolute"),
        ("{file", "format string"),
        ("{file}}", "format string"),
    ],
)
def test_validate_rejects(template, problem):
    with pytest.raises(InputValidationError, match=re.escape(problem)):
        validate_destination_format(template)


@pytest.mark.parametrize("template", ["{size}", "../{file}", "{0}"])
def test_validate_names_template(template):
    with pytest.raises(InputValidationError, match=re.escape(repr(template))):
        validate_destination_format(template)


def test_destination_fields():
    assert DESTINATION_FIELDS == {
        "directory",
        "file",
        "name",
        "extension",
        "uuid",
        "date",
        "hash",
        "index",
    }
