//! The flags that say who takes part in a transaction and where it ships from, shared by
//! `check`, `timeline` and `diff` (the audit reads them per row, with flags of its own for
//! the rows that leave them empty).

use chipgate::request::Check;
use clap::Args;

/// The end user's headquarters, the exporter, the ship-from and the parties' names, as given.
#[derive(Debug, Args)]
pub struct PartyArgs {
    /// Country where the end user (or its ultimate parent) is headquartered; default: the destination.
    #[arg(long, value_name = "COUNTRY")]
    pub end_user_hq: Option<String>,
    /// Who exports (a company name): an is-informed letter binds only the exporter it was
    /// sent to. Default: the chip's vendor is presumed to be the exporter, and the answer says so.
    #[arg(long, value_name = "NAME")]
    pub exporter: Option<String>,
    /// What the exporter is: `fabricator` (a front-end fabricator, a foundry), `osat` (an
    /// assembly and test company) or `other`. A fabricator or OSAT exporting an advanced logic
    /// IC presumes it is 3A090.a unless an attestation rebuts it (Note 1 to 3A090.a). Default:
    /// neither, and the answer says so where it matters.
    #[arg(long, value_name = "ROLE")]
    pub exporter_role: Option<String>,
    /// An attestation given for the item: `approved_designer` or `authorized_designer` (the
    /// IC's designer attests its TPP and performance density), `fabricator` or `approved_osat`
    /// (who packaged it attests its transistor count, given with --transistors); repeatable;
    /// `none` for none. Not with `diff`, whose catalog chips give no node or transistor count.
    #[arg(long, value_name = "WHO")]
    pub attested_by: Vec<String>,
    /// The country the item ships from (ISO code or name); default: the rules' jurisdiction
    /// (an export). From elsewhere it is a reexport, or a transfer within the destination
    /// country.
    #[arg(long, value_name = "COUNTRY")]
    pub ship_from: Option<String>,
    /// The end user, by name: screened against the rules' party lists (the Entity List). A
    /// match needs a license under the entry's terms; a near miss makes the answer
    /// indeterminate until someone settles who the party is.
    #[arg(long, value_name = "NAME")]
    pub end_user: Option<String>,
    /// The consignee (who receives the item, when not the end user), by name, screened the same way.
    #[arg(long, value_name = "NAME")]
    pub consignee: Option<String>,
    /// An owner of the end user and the share it holds, directly or indirectly:
    /// `NAME=PERCENT` (repeat it for each owner), or `none`. The affiliates rule screens the
    /// owners: an entity 50 % or more owned by listed parties is treated as they are. Not
    /// given while that rule is in force: the answer is indeterminate for want of them.
    #[arg(long, value_name = "NAME=PERCENT")]
    pub end_user_owner: Vec<String>,
    /// An owner of the consignee, the same way.
    #[arg(long, value_name = "NAME=PERCENT")]
    pub consignee_owner: Vec<String>,
}

impl PartyArgs {
    /// A check with these parties (the rest as given).
    pub fn with(&self, check: Check) -> Check {
        Check {
            end_user_hq: self.end_user_hq.clone(),
            exporter: self.exporter.clone(),
            exporter_role: self.exporter_role.clone(),
            attested_by: self.attested_by.clone(),
            ship_from: self.ship_from.clone(),
            end_user: self.end_user.clone(),
            consignee: self.consignee.clone(),
            end_user_owner: self.end_user_owner.clone(),
            consignee_owner: self.consignee_owner.clone(),
            ..check
        }
    }
}
