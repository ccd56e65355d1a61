package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/rtcstream/rtcstream"
)

// DefaultSharedSecretTTL is the credentials' lifetime when SharedSecret is
// given none: one day, as the TURN REST API draft recommends.
const DefaultSharedSecretTTL = 24 * time.Hour

// SharedSecret returns a configuration with time-limited credentials for a
// TURN server of your own that shares secret with you: the scheme of
// "A REST API For Access To TURN Services" (draft-uberti-behave-turn-rest),
// which coturn implements with --use-auth-secret --static-auth-secret=secret.
// The credentials expire ttl from now (DefaultSharedSecretTTL when ttl <= 0);
// user is an optional label the TURN server logs. See
// SharedSecretCredential for the computation.
func SharedSecret(urls []string, secret, user string, ttl time.Duration) *rtcstream.RTCConfiguration {
	if ttl <= 0 {
		ttl = DefaultSharedSecretTTL
	}
	username, credential := SharedSecretCredential(secret, user, time.Now().Add(ttl))
	return Static(urls, username, credential)
}

// SharedSecretCredential computes the TURN REST API credentials that
// expire at expires: the username is the expiry as a Unix time followed by
// ":" and user ("1735686000:alice"; just the time when user is empty), and
// the credential is base64(HMAC-SHA1(secret, username)). The TURN server
// recomputes the credential from the username and refuses it once the time
// has passed. (coturn's --rest-api-separator changes the ":"; this function
// assumes the default.)
func SharedSecretCredential(secret, user string, expires time.Time) (username, credential string) {
	username = strconv.FormatInt(expires.Unix(), 10)
	if user != "" {
		username += ":" + user
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username)) // never fails
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
