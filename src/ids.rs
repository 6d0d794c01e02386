//! A newtype id per entity, so passing the wrong id is a compile error.

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(UserId, EnterpriseId, AuditEventId);
id_type!(
    CampaignId,
    TaskId,
    GroupId,
    StationingId,
    InspectionId,
    HazardId,
    PenaltyId,
    OrderId
);
id_type!(ApplicationId, CertificateId);
id_type!(ReportId, MessageId, RewardId, RuleId, SituationId);
id_type!(NegativeListId, ViolationId);
