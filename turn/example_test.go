package turn_test

import (
	"fmt"
	"image"
	"log"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/turn"
)

// Fresh Cloudflare TURN credentials for every connection, from the
// TURN key in CLOUDFLARE_TURN_KEY_ID and CLOUDFLARE_TURN_KEY_API_TOKEN.
func ExampleCloudflareFromEnv() {
	invert := func(img image.Image) image.Image { return img }
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{RTCConfigurationFunc: turn.CloudflareFromEnv})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
}

// The built-in TURN server on UDP and TCP 3478, for browsers whose network
// lets nothing else out: each connection gets a credential of its own.
func ExampleNewServer() {
	ts, err := turn.NewServer(turn.ServerOptions{Addr: ":3478"})
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()
	invert := func(img image.Image) image.Image { return img }
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{RTCConfigurationFunc: ts.RTCConfiguration})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
}

// Credentials for a coturn server run with
// --use-auth-secret --static-auth-secret=north-sea-secret.
func ExampleSharedSecretCredential() {
	username, credential := turn.SharedSecretCredential("north-sea-secret", "alice", time.Unix(1700000000, 0))
	fmt.Println(username)
	fmt.Println(credential)
	// Output:
	// 1700000000:alice
	// Or2+y4pClBAA8mU3e93KEtAPsJs=
}

func ExampleStatic() {
	cfg := turn.Static([]string{"turn:turn.example.com:3478?transport=udp"}, "user", "pass")
	cfg.ICETransportPolicy = "relay" // every session through the TURN server
	fmt.Printf("%+v\n", *cfg)
	// Output:
	// {ICEServers:[{URLs:[turn:turn.example.com:3478?transport=udp] Username:user Credential:pass}] ICETransportPolicy:relay}
}
