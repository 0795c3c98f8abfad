//! The AWS IAM action catalog tollgate evaluates policies against.
//!
//! One job: know what an IAM action pattern means. The catalog lists every
//! AWS service prefix and action with its access level (List, Read, Write,
//! Permissions management, Tagging), the resource types it accepts (none
//! means it only accepts `"Resource": "*"`), its condition keys and risk
//! tags, plus the documents of the AWS-managed policies a customer can
//! attach. It is generated offline from public MIT-licensed data (see
//! `data/README.md` and `scripts/catalog/`); the build script turns the
//! shipped text into a binary image embedded in the library, so loading it
//! costs no parsing; [`Catalog::from_file`] loads a newer text.
//!
//! Action sets are bitsets over the catalog's sorted action table, so
//! expanding `*` or `s3:*` costs a few hundred word writes, and `NotAction`
//! is a complement.
//!
//! ```
//! use tollgate_catalog::{AccessLevel, Catalog, PatternStatus};
//!
//! let catalog = Catalog::embedded()?;
//! let put = catalog.expand("iam:Put*Policy");
//! assert_eq!(put.status, PatternStatus::Matched);
//! assert!(catalog.actions_in(&put.actions).all(|a| a.access_level() == AccessLevel::PermissionsManagement));
//!
//! let not_iam = catalog.complement(&catalog.expand("iam:*").actions);
//! assert!(!not_iam.contains(catalog.action("iam:PassRole").unwrap().id()));
//!
//! assert_eq!(catalog.expand("s3:GetObjekt").status, PatternStatus::UnknownAction);
//! let admin = catalog.managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
//! assert_eq!(admin.document()?["Statement"][0]["Action"], "*");
//! # Ok::<(), tollgate_catalog::CatalogError>(())
//! ```

mod catalog;
mod error;
mod glob;
mod managed;
mod set;
mod tables;

pub use catalog::{
    AccessLevel, ActionRef, Catalog, CatalogInfo, Expansion, FORMAT_VERSION, MAX_CATALOG_BYTES, PatternStatus,
    ResourceTypeRef, Risk, ServiceCoverage, SourceInfo, UnmatchedPattern,
};
pub use error::CatalogError;
pub use managed::ManagedPolicy;
pub use set::{ActionId, ActionSet};
