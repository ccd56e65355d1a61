package https_test

import (
	"image"
	"log"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/https"
)

// A Stream served over HTTPS with Let's Encrypt certificates: the domain's
// DNS points at this server, which is reachable on ports 443 and 80.
func ExampleACME() {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img }, nil)
	if err != nil {
		log.Fatal(err)
	}
	cfg, http80, err := https.ACME(https.ACMEOptions{Domains: []string{"demo.example.com"}})
	if err != nil {
		log.Fatal(err)
	}
	srv := rtcstream.NewHTTPServer(":443", s) // TCP and UDP 443: the page, ICE-TCP and the media
	srv.TLSConfig = cfg
	go rtcstream.NewHTTPServer(":80", http80).ListenAndServe()
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

// A LAN demo over HTTPS: phones on the network get the camera once their
// user accepts the certificate whose fingerprint this prints.
func ExampleSelfSigned() {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img }, nil)
	if err != nil {
		log.Fatal(err)
	}
	cfg, fingerprint, err := https.SelfSigned("192.168.1.20", "localhost")
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("certificate SHA-256 %s", fingerprint)
	srv := rtcstream.NewHTTPServer(":7860", s)
	srv.TLSConfig = cfg
	log.Fatal(srv.ListenAndServeTLS("", ""))
}
