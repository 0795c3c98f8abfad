# METADATA
# title: Tries the network
# description: Calls http.send.
# custom:
#   id: HTTP001
#   severity: low
#   hazard_zone: C
#   remediation: none
package custom.http

import rego.v1

deny contains f if {
	resp := http.send({"method": "GET", "url": "http://127.0.0.1:9/"})
	f := {"msg": sprintf("%v", [resp]), "loc": input.resources[0].loc}
}
