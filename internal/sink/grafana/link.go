package grafana

import (
	"net/url"
	"strconv"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// dashboardMargin is shown on each side of the deploy, so the graphs hold the minutes
// before it to compare with.
const dashboardMargin = 15 * time.Minute

// DashboardLink is a link to the dashboard over the deploy: from 15 minutes before from
// to 15 minutes after to, or to now while the run goes on (to is zero). It reports false
// when there is no dashboard or the URL is not a Grafana base URL. The link never holds
// the URL's user and password.
func DashboardLink(grafanaURL, dashboardUID string, from, to time.Time) (model.Link, bool) {
	base, _, err := parseBase(grafanaURL)
	if err != nil || dashboardUID == "" || from.IsZero() {
		return model.Link{}, false
	}
	end := "now"
	if !to.IsZero() {
		end = strconv.FormatInt(to.Add(dashboardMargin).UnixMilli(), 10)
	}
	u := base + "/d/" + url.PathEscape(dashboardUID) +
		"?from=" + strconv.FormatInt(from.Add(-dashboardMargin).UnixMilli(), 10) + "&to=" + end
	return model.Link{Label: "Grafana dashboard", URL: u}, true
}
