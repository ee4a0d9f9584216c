//! The columns an audit reads: which header names mean which field, matched case-insensitively,
//! with user mappings (`destination=ship_to`).

use chipgate_core::chip::{Flag, Metric};
use csv::ByteRecord;

use super::memo::OUTPUT_COLUMNS;

/// A field of a shipment row the audit interprets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Destination country (required).
    Destination,
    /// Catalog chip name or alias.
    Chip,
    /// Shipment date.
    Date,
    /// Country where the end user (or its ultimate parent) is headquartered.
    EndUserHq,
    /// Number of units.
    Quantity,
    /// A figure of the chip (its column is the metric's name, `die_area_mm2`): one of those a
    /// user can give ([`Metric::given`]).
    Figure(Metric),
    /// A yes/no property of the chip (its column is the flag's name: `datacenter`, `hbm`).
    Flag(Flag),
    /// The ECCN the exporter's records give the item (compared with chipgate's
    /// classification; the row's verdict rests on chipgate's).
    Eccn,
    /// What a computer or an assembly contains, `CHIP` or `CHIPxN`, `;`-separated (as `check
    /// --contains`).
    Contains,
    /// The kind of item, `ic`, `assembly` or `computer` (as `check --item`; not `item`, which
    /// ERP exports use for the product).
    ItemKind,
    /// Other entries of the control list the item is described in, `;`-separated (as `check
    /// --described-in`).
    DescribedIn,
    /// Who exports (an is-informed letter binds only the exporter it was sent to; without it,
    /// the chip's vendor is presumed to be the exporter).
    Exporter,
    /// What the exporter is (`fabricator`, `osat`, `other`): the foundry due-diligence rule binds
    /// front-end fabricators and OSAT companies only.
    ExporterRole,
    /// The attestations given for the item, `;`-separated (`approved_designer`, …).
    AttestedBy,
    /// The country the item ships from (default: the rules' jurisdiction, an export).
    ShipFrom,
    /// The end user, by name, screened against the rules' party lists (the Entity List).
    EndUser,
    /// The consignee, by name, screened the same way.
    Consignee,
    /// The end user's owners, `NAME=PERCENT; …` or `none`, screened for the affiliates rule
    /// (see `chipgate_core::parties::parse_owners`); empty: not known.
    EndUserOwners,
    /// The consignee's owners, the same way.
    ConsigneeOwners,
}

/// The fields before the figures, in the order of [`Field::all`].
const BEFORE: [Field; 5] = [Field::Destination, Field::Chip, Field::Date, Field::EndUserHq, Field::Quantity];
/// The fields after the figures.
const AFTER: [Field; 14] = [
    Field::Flag(Flag::Datacenter),
    Field::Flag(Flag::Hbm),
    Field::Eccn,
    Field::Contains,
    Field::ItemKind,
    Field::DescribedIn,
    Field::Exporter,
    Field::ExporterRole,
    Field::AttestedBy,
    Field::ShipFrom,
    Field::EndUser,
    Field::Consignee,
    Field::EndUserOwners,
    Field::ConsigneeOwners,
];

/// The number of slots a [`Columns`] keeps: one per field, and one per metric.
const SLOTS: usize = BEFORE.len() + Metric::COUNT + AFTER.len();

impl Field {
    /// Every field, in the order the summary lists them: the transaction's, the chip's
    /// figures (from the metric table), the rest.
    pub fn all() -> impl Iterator<Item = Field> {
        BEFORE.into_iter().chain(Metric::given().map(Field::Figure)).chain(AFTER)
    }

    /// The spec fields, which describe or override a chip: its figures and its flags.
    pub fn specs() -> impl Iterator<Item = Field> {
        Metric::given().map(Field::Figure).chain(Flag::ALL.iter().map(|f| Field::Flag(*f)))
    }

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Destination => "destination",
            Field::Chip => "chip",
            Field::Date => "date",
            Field::EndUserHq => "end_user_hq",
            Field::Quantity => "quantity",
            Field::Figure(m) => m.name(),
            Field::Flag(f) => f.name(),
            Field::Eccn => "eccn",
            Field::Contains => "contains",
            Field::ItemKind => "item_kind",
            Field::DescribedIn => "described_in",
            Field::Exporter => "exporter",
            Field::ExporterRole => "exporter_role",
            Field::AttestedBy => "attested_by",
            Field::ShipFrom => "ship_from",
            Field::EndUser => "end_user",
            Field::Consignee => "consignee",
            Field::EndUserOwners => "end_user_owners",
            Field::ConsigneeOwners => "consignee_owners",
        }
    }

    /// Looks a field up by column name (case-insensitive; spaces and hyphens count as `_`).
    pub fn parse(s: &str) -> Option<Field> {
        let key = header_key(s);
        Self::all().find(|f| f.name() == key)
    }

    /// Header words real exports use for a field (SAP, Oracle, NetSuite, BI tools), compared
    /// with case, spaces and punctuation ignored (`Ship-To Country` is `shiptocountry`). A
    /// column named as the field itself comes first; these are looked at only without one.
    pub const WORDS: [(Field, &'static [&'static str]); 10] = [
        (Field::Chip, &["material", "materialnumber", "part", "partnumber", "partno", "product", "item", "model", "sku"]),
        (Field::Destination, &["country", "shiptocountry", "shipto", "destinationcountry", "dest", "countryofdestination"]),
        (Field::Date, &["shipdate", "shippedat", "shippingdate", "deliverydate", "postingdate", "dateshipped", "shipmentdate"]),
        (Field::Quantity, &["qty", "units", "quantityshipped", "shippedquantity", "orderquantity"]),
        (
            Field::EndUserHq,
            &["enduserheadquarters", "endusercountry", "enduserhqcountry", "ultimateparentcountry", "parentcountry", "headquarters"],
        ),
        (Field::Eccn, &["exportclassification", "exportclassificationnumber", "exportcontrolclassificationnumber", "eccncode"]),
        // Not `origin country` or `shipping country`: in an ERP export those usually mean the
        // country of origin (where the item was made), which is not where it ships from.
        (Field::ShipFrom, &["shipfromcountry", "exportingcountry", "exportcountry", "countryofexport"]),
        (Field::Exporter, &["exportername", "exportingparty", "usppi", "usppiname", "shipper", "shippername"]),
        (Field::EndUser, &["endusername", "ultimateenduser", "enduserparty"]),
        // `Ultimate Consignee` as AES names it; not `customer`, which is often an account code.
        (Field::Consignee, &["consigneename", "ultimateconsignee", "shiptoparty", "shiptoname"]),
    ];

    /// The field's place in a [`Columns`]' slots.
    fn slot(self) -> usize {
        match self {
            Field::Figure(m) => BEFORE.len() + m as usize,
            f => match BEFORE.iter().position(|b| *b == f) {
                Some(i) => i,
                None => BEFORE.len() + Metric::COUNT + AFTER.iter().position(|a| *a == f).unwrap_or(0),
            },
        }
    }
}

/// A header name as compared with [`Field::WORDS`]: lowercase letters and digits only.
fn word_key(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A header name as matched: trimmed, lowercase, spaces and hyphens as underscores.
pub(crate) fn header_key(s: &str) -> String {
    s.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).flat_map(char::to_lowercase).collect()
}

/// Why a header cannot be audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The input is empty: no header row.
    Empty,
    /// The header is longer, or has more fields, than the limits.
    TooLarge {
        /// The limits.
        limits: super::Limits,
    },
    /// A header name is not UTF-8.
    NotUtf8 {
        /// One-based column.
        column: usize,
    },
    /// No column for a required field.
    Missing {
        /// The field.
        field: &'static str,
        /// The header names present.
        present: Vec<String>,
    },
    /// Neither a chip column nor any spec column.
    NoChip,
    /// Two columns for the same field.
    Duplicate {
        /// The field.
        field: &'static str,
        /// One-based columns.
        columns: (usize, usize),
        /// Their header names.
        names: (String, String),
    },
    /// A mapping names a field that does not exist.
    UnknownField {
        /// The name given.
        name: String,
        /// The closest field name, if any.
        suggestion: Option<&'static str>,
    },
    /// A mapping names a header that is not in the file.
    UnknownColumn {
        /// The field mapped.
        field: &'static str,
        /// The header name given.
        column: String,
        /// The header names present.
        present: Vec<String>,
    },
    /// A mapping is not of the form `field=column`.
    BadMapping(String),
    /// The input has columns the audit adds (it is an audit's output, or names a column like
    /// one): the output would hold two of each.
    AuditColumns {
        /// The clashing header names.
        present: Vec<String>,
        /// Whether every audit column is there (the file is an audit's output).
        all: bool,
    },
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[String]| v.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
        match self {
            HeaderError::Empty => write!(f, "the input is empty; expected a header row"),
            HeaderError::TooLarge { limits } => write!(
                f,
                "the header is longer than the limit of {} (--max-record-bytes) or has more than {} fields (--max-fields)",
                super::ahead::bytes_in_words(limits.record_bytes),
                limits.fields
            ),
            HeaderError::NotUtf8 { column } => write!(f, "header column {column} is not valid UTF-8; name the file's encoding with --encoding (e.g. windows-1252) or save it as UTF-8"),
            HeaderError::Missing { field, present } => write!(
                f,
                "no `{field}` column in the header (columns: {}); rename one or map it with --columns {field}=NAME",
                list(present)
            ),
            HeaderError::NoChip => write!(
                f,
                "no `chip` column and no spec column ({})",
                Field::specs().map(Field::name).collect::<Vec<_>>().join(", ")
            ),
            HeaderError::Duplicate { field, columns, names } => write!(
                f,
                "columns {} (`{}`) and {} (`{}`) both give `{field}`; say which with --columns {field}=NAME",
                columns.0, names.0, columns.1, names.1
            ),
            HeaderError::UnknownField { name, suggestion: Some(s) } => {
                write!(f, "--columns: unknown field `{name}`; did you mean `{s}`?")
            }
            HeaderError::UnknownField { name, suggestion: None } => write!(
                f,
                "--columns: unknown field `{name}`; fields are {}",
                Field::all().map(Field::name).collect::<Vec<_>>().join(", ")
            ),
            HeaderError::UnknownColumn { field, column, present } => {
                write!(f, "--columns {field}={column}: no column `{column}` in the header (columns: {})", list(present))
            }
            HeaderError::BadMapping(m) => write!(f, "--columns: `{m}` must look like FIELD=COLUMN, e.g. `destination=ship_to`"),
            HeaderError::AuditColumns { all: true, .. } => write!(
                f,
                "the input already has the audit columns ({}): it is the output of an audit; audit the original file, or \
                 remove those columns first",
                OUTPUT_COLUMNS.join(", ")
            ),
            HeaderError::AuditColumns { present, all: false } => write!(
                f,
                "the input has {} {}, which the audit adds: the output would have two; rename {} first",
                if present.len() == 1 { "a column" } else { "columns" },
                list(present),
                if present.len() == 1 { "it" } else { "them" },
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Parses `field=column` mappings, each entry possibly a comma-separated list.
pub fn parse_mappings(specs: &[String]) -> Result<Vec<(Field, String)>, HeaderError> {
    let mut out = Vec::new();
    for item in specs.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        let Some((f, c)) = item.split_once('=') else { return Err(HeaderError::BadMapping(item.to_string())) };
        let field = Field::parse(f).ok_or_else(|| HeaderError::UnknownField {
            name: f.trim().to_string(),
            suggestion: Field::all()
                .map(|field| (chipgate_core::suggest::similarity(&header_key(f), field.name()), field.name()))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| n),
        })?;
        if c.trim().is_empty() {
            return Err(HeaderError::BadMapping(item.to_string()));
        }
        out.push((field, c.trim().to_string()));
    }
    Ok(out)
}

/// The header as read and which column holds which field.
#[derive(Debug, Clone)]
pub struct Columns {
    names: Vec<String>,
    slots: [Option<usize>; SLOTS],
}

impl Columns {
    /// Maps a header row. A mapped field takes the named column; other fields take the column
    /// of their own name, unless that column is mapped to another field.
    pub fn new(header: &ByteRecord, mappings: &[(Field, String)]) -> Result<Columns, HeaderError> {
        if header.is_empty() || (header.len() == 1 && header.get(0).is_some_and(|h| h.is_empty())) {
            return Err(HeaderError::Empty);
        }
        let mut names = Vec::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            names.push(std::str::from_utf8(h).map_err(|_| HeaderError::NotUtf8 { column: i + 1 })?.to_string());
        }
        let keys: Vec<String> = names.iter().map(|n| header_key(n)).collect();
        // `eccn` is an ERP's own column often enough to pass through; the others are the audit's.
        let clash: Vec<String> =
            names.iter().zip(&keys).filter(|(_, k)| OUTPUT_COLUMNS[1..].contains(&k.as_str())).map(|(n, _)| n.clone()).collect();
        if !clash.is_empty() {
            let all = OUTPUT_COLUMNS.iter().all(|c| keys.iter().any(|k| k == c));
            return Err(HeaderError::AuditColumns { present: clash, all });
        }
        let mut slots = [None; SLOTS];
        let mut taken = vec![false; names.len()];
        for (field, column) in mappings {
            let key = header_key(column);
            let Some(i) = keys.iter().position(|k| *k == key) else {
                return Err(HeaderError::UnknownColumn { field: field.name(), column: column.clone(), present: names });
            };
            put(&mut slots, *field, i, &names)?;
            if let Some(t) = taken.get_mut(i) {
                *t = true;
            }
        }
        let mapped: Vec<Field> = mappings.iter().map(|(f, _)| *f).collect();
        for (i, key) in keys.iter().enumerate() {
            match Field::parse(key) {
                Some(f) if !mapped.contains(&f) && !taken.get(i).copied().unwrap_or(true) => {
                    put(&mut slots, f, i, &names)?;
                    if let Some(t) = taken.get_mut(i) {
                        *t = true;
                    }
                }
                _ => {}
            }
        }
        // The words exports use, for the fields still without a column.
        let words: Vec<String> = names.iter().map(|n| word_key(n)).collect();
        for (field, list) in Field::WORDS {
            if mapped.contains(&field) || slots.get(field.slot()).copied().flatten().is_some() {
                continue;
            }
            for (i, w) in words.iter().enumerate() {
                if list.contains(&w.as_str()) && !taken.get(i).copied().unwrap_or(true) {
                    put(&mut slots, field, i, &names)?;
                }
            }
        }
        let c = Columns { names, slots };
        if c.index(Field::Destination).is_none() {
            return Err(HeaderError::Missing { field: "destination", present: c.names });
        }
        if c.index(Field::Chip).is_none() && c.index(Field::Contains).is_none() && Field::specs().all(|f| c.index(f).is_none()) {
            return Err(HeaderError::NoChip);
        }
        Ok(c)
    }

    /// The zero-based column of a field, if the file has one.
    pub fn index(&self, f: Field) -> Option<usize> {
        self.slots.get(f.slot()).copied().flatten()
    }

    /// The header names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Which column each field is read from, in field order.
    pub fn used(&self) -> Vec<super::ColumnUse> {
        Field::all().filter_map(|f| self.index(f).map(|i| super::ColumnUse { field: f.name(), column: self.name(i).to_string() })).collect()
    }

    /// The header name of a zero-based column.
    pub fn name(&self, i: usize) -> &str {
        self.names.get(i).map(String::as_str).unwrap_or("?")
    }
}

fn put(slots: &mut [Option<usize>; SLOTS], f: Field, i: usize, names: &[String]) -> Result<(), HeaderError> {
    if let Some(slot) = slots.get_mut(f.slot()) {
        if let Some(prev) = *slot {
            let (a, b) = (prev.min(i), prev.max(i));
            let name = |k: usize| names.get(k).cloned().unwrap_or_default();
            return Err(HeaderError::Duplicate { field: f.name(), columns: (a + 1, b + 1), names: (name(a), name(b)) });
        }
        *slot = Some(i);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(h: &[&str], m: &[&str]) -> Result<Columns, HeaderError> {
        let maps = parse_mappings(&m.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        Columns::new(&ByteRecord::from(h.to_vec()), &maps)
    }

    #[test]
    fn every_field_has_a_slot_of_its_own_and_a_name_that_reads_back() {
        let slots: std::collections::BTreeSet<usize> = Field::all().map(Field::slot).collect();
        assert_eq!(slots.len(), Field::all().count());
        assert!(slots.iter().all(|s| *s < SLOTS));
        for f in Field::all() {
            assert_eq!(Field::parse(f.name()), Some(f));
        }
        assert_eq!(Field::parse("memory_bandwidth_density"), Some(Field::Figure(Metric::MemoryBandwidthDensity)));
        assert_eq!(Field::parse("tdp_w"), None, "a figure a user cannot give is not a column");
    }

    #[test]
    fn matches_names_ignoring_case_spaces_and_hyphens() {
        let c = cols(&["ID", " Destination ", "Chip", "End User HQ", "die-area-mm2"], &[]).unwrap();
        assert_eq!(c.index(Field::Destination), Some(1));
        assert_eq!(c.index(Field::Chip), Some(2));
        assert_eq!(c.index(Field::EndUserHq), Some(3));
        assert_eq!(c.index(Field::Figure(Metric::DieAreaMm2)), Some(4));
        assert_eq!(c.index(Field::Date), None);
    }

    #[test]
    fn the_words_exports_use() {
        let c = cols(&["Item", "Material", "Ship-To Country", "Posting Date", "Qty", "End User Country", "Net Value"], &[]);
        assert!(matches!(&c, Err(HeaderError::Duplicate { field: "chip", columns: (1, 2), .. })), "{c:?}");
        assert_eq!(
            c.unwrap_err().to_string(),
            "columns 1 (`Item`) and 2 (`Material`) both give `chip`; say which with --columns chip=NAME"
        );
        let c = cols(&["Item", "Material", "Ship-To Country", "Posting Date", "Qty", "End User Country"], &["chip=Material"]).unwrap();
        let got: Vec<(Field, usize)> = Field::all().filter_map(|f| c.index(f).map(|i| (f, i))).collect();
        assert_eq!(got, [(Field::Destination, 2), (Field::Chip, 1), (Field::Date, 3), (Field::EndUserHq, 5), (Field::Quantity, 4)]);
        // A column named as the field comes before the words.
        let c = cols(&["chip", "product", "destination", "country"], &[]).unwrap();
        assert_eq!((c.index(Field::Chip), c.index(Field::Destination)), (Some(0), Some(2)));
        let c = cols(&["ship_date", "delivery_date", "sku", "dest"], &[]);
        assert!(matches!(c, Err(HeaderError::Duplicate { field: "date", columns: (1, 2), .. })));
    }

    #[test]
    fn mappings_take_precedence_over_own_names() {
        let c = cols(&["destination", "ship_to", "part"], &["destination=Ship_To,chip=part"]).unwrap();
        assert_eq!(c.index(Field::Destination), Some(1));
        assert_eq!(c.index(Field::Chip), Some(2));
    }

    #[test]
    fn unusable_headers() {
        assert!(matches!(cols(&["chip", "origin"], &[]), Err(HeaderError::Missing { field: "destination", .. })));
        assert_eq!(cols(&["destination", "note"], &[]).unwrap_err(), HeaderError::NoChip);
        assert!(matches!(cols(&["destination", "chip", "DESTINATION"], &[]), Err(HeaderError::Duplicate { columns: (1, 3), .. })));
        assert!(matches!(
            cols(&["destination", "chip"], &["destnation=x"]),
            Err(HeaderError::UnknownField { suggestion: Some("destination"), .. })
        ));
        assert!(matches!(cols(&["destination", "chip"], &["chip=part"]), Err(HeaderError::UnknownColumn { .. })));
        assert!(matches!(cols(&["destination", "chip"], &["chip"]), Err(HeaderError::BadMapping(_))));
        let bad = ByteRecord::from(vec![&b"destination"[..], &b"\xff"[..]]);
        assert_eq!(Columns::new(&bad, &[]).unwrap_err(), HeaderError::NotUtf8 { column: 2 });
    }
}
