// AwsCredentialCheck: expired before revoked, revocation by role and issue time.
#include "sim/world/aws_credential_check.h"

#include "gtest/gtest.h"

namespace credsim {
namespace {

Time At(int s) { return Time() + Duration::Seconds(s); }

Credentials Issued(int at, int expires) { return Credentials{7, At(at), At(expires)}; }

TEST(AwsCredentialCheckTest, AcceptsUnexpiredUnrevokedCredentials) {
  RevocationConfig rc;
  const AwsCredentialCheck aws(rc);
  EXPECT_EQ(aws.Check(1, Issued(0, 100), At(99)), AwsVerdict::kAccepted);
  EXPECT_EQ(AwsCredentialCheck::StatusOf(AwsVerdict::kAccepted), 200);
}

TEST(AwsCredentialCheckTest, MissingOrExpiredCredentialsAreExpired) {
  RevocationConfig rc;
  const AwsCredentialCheck aws(rc);
  EXPECT_EQ(aws.Check(1, Credentials{}, At(0)), AwsVerdict::kExpired);
  EXPECT_EQ(aws.Check(1, Issued(0, 100), At(100)), AwsVerdict::kExpired);  // at expiration
  EXPECT_EQ(AwsCredentialCheck::StatusOf(AwsVerdict::kExpired), 403);
}

TEST(AwsCredentialCheckTest, RevocationAppliesToCredentialsIssuedBeforeItOnceInEffect) {
  RevocationConfig rc;
  rc.events.push_back(RevocationEvent{3, At(50)});
  const AwsCredentialCheck aws(rc);
  EXPECT_EQ(aws.Check(3, Issued(10, 1000), At(49)), AwsVerdict::kAccepted);  // not yet
  EXPECT_EQ(aws.Check(3, Issued(10, 1000), At(50)), AwsVerdict::kRevoked);
  EXPECT_EQ(aws.Check(3, Issued(50, 1000), At(60)), AwsVerdict::kAccepted);  // issued after
  EXPECT_EQ(aws.Check(4, Issued(10, 1000), At(60)), AwsVerdict::kAccepted);  // other role
  EXPECT_EQ(AwsCredentialCheck::StatusOf(AwsVerdict::kRevoked), 403);
}

TEST(AwsCredentialCheckTest, AllRolesEventRevokesEveryRoleAndExpiryWinsOverRevocation) {
  RevocationConfig rc;
  rc.events.push_back(RevocationEvent{RevocationEvent::kAllRoles, At(50)});
  const AwsCredentialCheck aws(rc);
  EXPECT_EQ(aws.Check(9, Issued(10, 1000), At(60)), AwsVerdict::kRevoked);
  EXPECT_EQ(aws.Check(9, Issued(10, 55), At(60)), AwsVerdict::kExpired);
}

}  // namespace
}  // namespace credsim
